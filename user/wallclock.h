/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wall clock's offset from the boot clock (CLOCK_REALTIME minus
 * CLOCK_BOOTTIME), with its last steps. The kernel stamps events with boot
 * time; records carry wall-clock times. A flow's start must print the same
 * in all of its records, also when the wall clock stepped while the flow
 * lasted (NTP, a VM resumed): a time converts with the offset in force,
 * as far as the agent knew, at that boot time.
 */
#ifndef EA_WALLCLOCK_H
#define EA_WALLCLOCK_H

#include <stdint.h>

#define EA_WALLCLOCK_STEPS	16	/* steps remembered */

struct ea_wallclock {
	struct {
		int64_t since_boot_ns;	/* from when offset_ns held */
		int64_t offset_ns;
	} steps[EA_WALLCLOCK_STEPS];	/* oldest first */
	int n;
};

/* The current offset (0 before the first step). */
static inline int64_t ea_wallclock_offset(const struct ea_wallclock *c)
{
	return c->n ? c->steps[c->n - 1].offset_ns : 0;
}

/* offset_ns holds from boot time since_boot_ns on; the first offset given
 * also stands for all times before it. */
void ea_wallclock_step(struct ea_wallclock *c, int64_t since_boot_ns, int64_t offset_ns);
/* The offset at boot time t. */
int64_t ea_wallclock_offset_at(const struct ea_wallclock *c, int64_t t);

#endif /* EA_WALLCLOCK_H */
