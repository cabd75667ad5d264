// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The wall clock's steps: see wallclock.h. */
#include <string.h>

#include "wallclock.h"

void ea_wallclock_step(struct ea_wallclock *c, int64_t since_boot_ns, int64_t offset_ns)
{
	if (c->n == EA_WALLCLOCK_STEPS) {
		memmove(c->steps, c->steps + 1, sizeof(c->steps[0]) * (EA_WALLCLOCK_STEPS - 1));
		c->n--;
	}
	c->steps[c->n].since_boot_ns = c->n ? since_boot_ns : INT64_MIN;
	c->steps[c->n].offset_ns = offset_ns;
	c->n++;
}

int64_t ea_wallclock_offset_at(const struct ea_wallclock *c, int64_t t)
{
	int i = c->n - 1;

	while (i > 0 && c->steps[i].since_boot_ns > t)
		i--;
	return i >= 0 ? c->steps[i].offset_ns : 0;
}
