/*
 * eve_alert.h - the EVE `alert` event, shaped as Suricata's
 * output-json-alert writes it for an app-layer transaction: the header in
 * the orientation of the rule's direction, tx_id, the alert object, the
 * transaction's app-layer object, app_proto, direction, and the flow's
 * counters in flow orientation.
 *
 * What Suricata has no field for goes in alert.context: the secret the
 * rule extracted (redacted unless unmasked, see redact.h), its length and
 * the buffer it came from, and for a rule that holds because of another
 * rule's secret (plainsight.request_secret) that rule and its secret.
 */
#ifndef PS_EVE_ALERT_H
#define PS_EVE_ALERT_H

#include "detect.h"
#include "eve.h"
#include "flow.h"

struct eve_alert_tx {
    uint64_t tx_id;
    const char *app_proto; /* "http" */
    const char *app_key;   /* name of the app-layer object: "http" */
    json_t *app;           /* that object, already redacted; shared, not taken */
    json_t *context;       /* extra alert.context members (an ICS event); may be NULL; shared */
    bool unmask;           /* write secrets whole (--unmask-secrets) */
};

void eve_alert_log(struct eve_thread *t, const struct flow *f, const struct detect_alert *a,
                   const struct eve_alert_tx *tx, ps_time_t ts);

#endif
