// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The wall clock's steps: a time converts with the offset in force at it,
 * so that a flow's start prints the same before and after a step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "wallclock.h"

#define S 1000000000ll

static void test_one_offset_holds_everywhere(void **state)
{
	struct ea_wallclock c = { 0 };

	ea_wallclock_step(&c, 50 * S, 1000 * S);
	assert_int_equal(ea_wallclock_offset(&c), 1000 * S);
	assert_int_equal(ea_wallclock_offset_at(&c, 0), 1000 * S);
	assert_int_equal(ea_wallclock_offset_at(&c, INT64_MIN), 1000 * S);
	assert_int_equal(ea_wallclock_offset_at(&c, 100 * S), 1000 * S);
}

/* A flow that began before a step keeps its start; later ones take the step. */
static void test_start_before_a_step_keeps_its_offset(void **state)
{
	struct ea_wallclock c = { 0 };

	ea_wallclock_step(&c, 10 * S, 1000 * S);
	ea_wallclock_step(&c, 20 * S, 1000 * S + 10000000);	/* 10 ms later */
	ea_wallclock_step(&c, 30 * S, 999 * S);			/* back a second */
	assert_int_equal(ea_wallclock_offset(&c), 999 * S);
	assert_int_equal(ea_wallclock_offset_at(&c, 5 * S), 1000 * S);
	assert_int_equal(ea_wallclock_offset_at(&c, 20 * S - 1), 1000 * S);
	assert_int_equal(ea_wallclock_offset_at(&c, 20 * S), 1000 * S + 10000000);
	assert_int_equal(ea_wallclock_offset_at(&c, 29 * S), 1000 * S + 10000000);
	assert_int_equal(ea_wallclock_offset_at(&c, 31 * S), 999 * S);
}

/* Past EA_WALLCLOCK_STEPS steps, the oldest go; older times take the oldest kept. */
static void test_steps_are_bounded(void **state)
{
	struct ea_wallclock c = { 0 };
	int steps = 3 * EA_WALLCLOCK_STEPS;

	for (int i = 0; i < steps; i++)
		ea_wallclock_step(&c, i * S, i * 100);
	assert_int_equal(c.n, EA_WALLCLOCK_STEPS);
	assert_int_equal(ea_wallclock_offset(&c), (steps - 1) * 100);
	for (int i = steps - EA_WALLCLOCK_STEPS; i < steps; i++)
		assert_int_equal(ea_wallclock_offset_at(&c, i * S + 1), i * 100);
	assert_int_equal(ea_wallclock_offset_at(&c, 0),
			 (steps - EA_WALLCLOCK_STEPS) * 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_offset_holds_everywhere),
		cmocka_unit_test(test_start_before_a_step_keeps_its_offset),
		cmocka_unit_test(test_steps_are_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
