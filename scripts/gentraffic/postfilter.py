"""The engine's whole-value placeholder test (engine/secret.c) in Python:
one model for the generator (which draws values the engine keeps) and for
the rule checks in tests/rules/ (which predict what the engine reports)."""


def char_rank(c):
    c = c.lower()
    if "0" <= c <= "9":
        return ord(c) - 48
    if "a" <= c <= "z":
        return 10 + ord(c) - 97
    return -1


_PLACEHOLDER_WORDS = {"example", "changeme", "redacted", "token", "secret", "password",
                      "placeholder", "sample", "test", "dummy", "undefined", "null", "none"}


def is_placeholder(s):
    """The engine's whole-value placeholder test (engine/secret.c)."""
    if len(s) <= 1:
        return True
    for p in range(1, 5):
        if 2 * p <= len(s) and all(s[i] == s[i - p] for i in range(p, len(s))):
            return True
    if len(s) >= 4:
        r = [char_rank(c) for c in s]
        step = r[1] - r[0]
        if min(r) >= 0 and step in (1, -1) and all(r[i] - r[i - 1] == step for i in range(1, len(s))):
            return True
    low = s.lower()
    if low in _PLACEHOLDER_WORDS or s.endswith("EXAMPLE") or \
            (len(s) > 5 and low[:4] == "your" and s[4] in "_-"):
        return True
    if (s[0] == "<" and s[-1] == ">") or (len(s) >= 4 and s[:2] == "{{" and s[-2:] == "}}") or \
            (len(s) >= 3 and s[:2] == "${" and s[-1] == "}") or (s[0] == "%" and s[-1] == "%"):
        return True
    return all(c in "xX*.0" for c in s)
