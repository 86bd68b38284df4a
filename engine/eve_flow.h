/* eve_flow.h - the EVE `flow` event. */
#ifndef PS_EVE_FLOW_H
#define PS_EVE_FLOW_H

#include "eve.h"
#include "flow.h"

/* Write the flow event of f, which ended for `why`. app_proto may be NULL. */
void eve_flow_log(struct eve_thread *t, const struct flow *f, enum flow_end_reason why,
                  const char *app_proto);

#endif
