// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The zone of a country under GDPR Chapter V: the table of
 * data/jurisdictions.csv, compiled in. Every code not listed there is a third
 * country. The lookup is one array access: it runs for every GeoIP range.
 */
#include "config.h"

/* Index of a code in the table; listed codes hold their zone, others 0. */
#define CC(a, b)	[(a) - 'A'][(b) - 'A']

static const uint8_t listed_zone[26][26] = {
	/* EU member states */
	CC('A', 'T') = EA_ZONE_EU,
	CC('B', 'E') = EA_ZONE_EU,
	CC('B', 'G') = EA_ZONE_EU,
	CC('H', 'R') = EA_ZONE_EU,
	CC('C', 'Y') = EA_ZONE_EU,
	CC('C', 'Z') = EA_ZONE_EU,
	CC('D', 'K') = EA_ZONE_EU,
	CC('E', 'E') = EA_ZONE_EU,
	CC('F', 'I') = EA_ZONE_EU,
	CC('F', 'R') = EA_ZONE_EU,
	CC('D', 'E') = EA_ZONE_EU,
	CC('G', 'R') = EA_ZONE_EU,	/* the EU writes EL */
	CC('H', 'U') = EA_ZONE_EU,
	CC('I', 'E') = EA_ZONE_EU,
	CC('I', 'T') = EA_ZONE_EU,
	CC('L', 'V') = EA_ZONE_EU,
	CC('L', 'T') = EA_ZONE_EU,
	CC('L', 'U') = EA_ZONE_EU,
	CC('M', 'T') = EA_ZONE_EU,
	CC('N', 'L') = EA_ZONE_EU,
	CC('P', 'L') = EA_ZONE_EU,
	CC('P', 'T') = EA_ZONE_EU,
	CC('R', 'O') = EA_ZONE_EU,
	CC('S', 'K') = EA_ZONE_EU,
	CC('S', 'I') = EA_ZONE_EU,
	CC('E', 'S') = EA_ZONE_EU,
	CC('S', 'E') = EA_ZONE_EU,
	/* EU territories with their own ISO code */
	CC('A', 'X') = EA_ZONE_EU,
	CC('G', 'F') = EA_ZONE_EU,
	CC('G', 'P') = EA_ZONE_EU,
	CC('M', 'Q') = EA_ZONE_EU,
	CC('R', 'E') = EA_ZONE_EU,
	CC('Y', 'T') = EA_ZONE_EU,
	CC('M', 'F') = EA_ZONE_EU,
	/* EEA members outside the EU */
	CC('I', 'S') = EA_ZONE_EEA,
	CC('L', 'I') = EA_ZONE_EEA,
	CC('N', 'O') = EA_ZONE_EEA,
	/* full adequacy decisions (Art. 45) */
	CC('A', 'D') = EA_ZONE_ADEQUACY,
	CC('A', 'R') = EA_ZONE_ADEQUACY,
	CC('B', 'R') = EA_ZONE_ADEQUACY,
	CC('F', 'O') = EA_ZONE_ADEQUACY,
	CC('G', 'G') = EA_ZONE_ADEQUACY,
	CC('I', 'L') = EA_ZONE_ADEQUACY,
	CC('I', 'M') = EA_ZONE_ADEQUACY,
	CC('J', 'P') = EA_ZONE_ADEQUACY,
	CC('J', 'E') = EA_ZONE_ADEQUACY,
	CC('N', 'Z') = EA_ZONE_ADEQUACY,
	CC('K', 'R') = EA_ZONE_ADEQUACY,
	CC('C', 'H') = EA_ZONE_ADEQUACY,
	CC('G', 'B') = EA_ZONE_ADEQUACY,
	CC('U', 'Y') = EA_ZONE_ADEQUACY,
	/* adequacy limited to some recipients */
	CC('C', 'A') = EA_ZONE_ADEQUACY_PARTIAL,
	CC('U', 'S') = EA_ZONE_ADEQUACY_PARTIAL,
};

/*
 * The zone of a packed country code: its listed zone, third for any other
 * code of two upper-case letters, unknown for 0 and for anything else.
 */
uint32_t ea_country_zone(uint16_t cc)
{
	unsigned int a = (unsigned int)(cc >> 8) - 'A';
	unsigned int b = (unsigned int)(cc & 0xff) - 'A';

	if (a >= 26 || b >= 26)
		return EA_ZONE_UNKNOWN;
	return listed_zone[a][b] ? listed_zone[a][b] : EA_ZONE_THIRD;
}
