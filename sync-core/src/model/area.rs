use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{DeviceId, DocId, Timestamp};
use crate::ladder::Ladder;
use crate::model::{AgeBand, ConsentPurpose, LawfulBasis, ResidentBasis, Tenure};

/// The admin-written configuration of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaConfig {
    /// Document id.
    pub id: DocId,
    /// The area's slug, used by people and events to name it.
    pub area: String,
    /// Display name.
    pub name: String,
    /// Sub-areas (villages, estates) with their household counts. Kept in
    /// slug order: a document stores them keyed by slug.
    pub patches: Vec<PatchConfig>,
    /// Topic tags offered on the doorstep form.
    pub topics: BTreeSet<String>,
    /// The engagement ladder.
    pub ladder: Ladder,
    /// The definitions of "resident" the partnership reports against, in key
    /// order (stored keyed by key).
    pub resident_definitions: Vec<ResidentDefinition>,
    /// The share of partnership members (percent, 1 to 100) who must be residents.
    pub resident_led_threshold_percent: u8,
    /// Seats on the partnership board, if fixed (reports show vacancies).
    pub partnership_seats: Option<u32>,
    /// Reports suppress counts below this (3 to 100), so nobody in a small
    /// group can be picked out.
    pub suppress_below: u32,
    /// The lawful basis relied on for each purpose of contact (consent
    /// where none is set; equality monitoring is always explicit consent).
    pub lawful_bases: BTreeMap<ConsentPurpose, LawfulBasis>,
    /// A follow-up promised without a date is overdue this many days after
    /// it was promised (1 to 365; 28 unless set): residents expect to hear
    /// back, dated or not.
    pub follow_up_overdue_days: u32,
    /// The IANA time zone its times are entered and shown in
    /// (`Europe/London`); times are stored in UTC.
    pub time_zone: String,
    /// The device that created it.
    pub created_by: DeviceId,
    /// When it was created.
    pub created_at: Timestamp,
}

impl AreaConfig {
    /// The time zone of an area that has not set one.
    pub const DEFAULT_TIME_ZONE: &'static str = "Europe/London";

    /// The suppression threshold of an area that has not set one.
    pub const DEFAULT_SUPPRESS_BELOW: u32 = 5;

    /// The days after which an undated follow-up is overdue, unless set.
    pub const DEFAULT_FOLLOW_UP_OVERDUE_DAYS: u32 = 28;

    /// The allowed days after which an undated follow-up is overdue.
    pub const FOLLOW_UP_OVERDUE_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=365;

    /// The allowed suppression thresholds: below 3 protects nobody.
    pub const SUPPRESS_BELOW_RANGE: std::ops::RangeInclusive<u32> = 3..=100;

    /// The configuration a new area starts with: the default ladder, a strict
    /// and a broad resident definition, and a 51% threshold.
    pub fn new_default(
        id: DocId,
        area: &str,
        name: &str,
        created_by: DeviceId,
        created_at: Timestamp,
    ) -> Self {
        Self {
            id,
            area: area.to_owned(),
            name: name.to_owned(),
            patches: Vec::new(),
            topics: BTreeSet::new(),
            ladder: Ladder::default(),
            resident_definitions: ResidentDefinition::defaults(),
            resident_led_threshold_percent: 51,
            partnership_seats: None,
            suppress_below: Self::DEFAULT_SUPPRESS_BELOW,
            lawful_bases: ConsentPurpose::ALL
                .iter()
                .map(|p| (*p, LawfulBasis::Consent))
                .collect(),
            time_zone: Self::DEFAULT_TIME_ZONE.to_owned(),
            follow_up_overdue_days: Self::DEFAULT_FOLLOW_UP_OVERDUE_DAYS,
            created_by,
            created_at,
        }
    }

    /// The lawful basis to record for a consent for `purpose`.
    pub fn lawful_basis(&self, purpose: ConsentPurpose) -> LawfulBasis {
        self.lawful_bases
            .get(&purpose)
            .copied()
            .unwrap_or(LawfulBasis::Consent)
    }

    /// The patch with this slug.
    pub fn patch(&self, slug: &str) -> Option<&PatchConfig> {
        self.patches.iter().find(|p| p.id == slug)
    }
}

/// A sub-area: a village, estate or group of streets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchConfig {
    /// Slug, e.g. `north-estate`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Number of households, for "per 1,000 households" figures.
    pub households: u32,
    /// Census figures for the patch, if the partnership entered them: the
    /// baseline the board and the people contacted are compared with.
    pub census: Option<Census>,
}

/// A patch's census figures, as a partnership copies them from the
/// census (for example the ONS's tables for the output areas it covers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Census {
    /// Residents per age band: every band, or every adult band (18-24 to
    /// 75+) and no younger one; empty when not entered.
    pub residents_by_age: BTreeMap<AgeBand, u32>,
    /// Households per tenure (any of the tenures); empty when not entered.
    pub households_by_tenure: BTreeMap<Tenure, u32>,
}

impl Census {
    /// The most any one census figure can be: more people than live in
    /// any neighbourhood is a typing mistake.
    pub const MAX_COUNT: u32 = 1_000_000;

    /// The adult age bands, which a census by age must all give.
    pub fn adult_bands() -> impl Iterator<Item = AgeBand> {
        AgeBand::ALL.iter().copied().filter(|b| !b.is_under_18())
    }

    /// Whether nothing is entered.
    pub fn is_empty(&self) -> bool {
        self.residents_by_age.is_empty() && self.households_by_tenure.is_empty()
    }

    /// Whether residents by age are entered.
    pub fn has_ages(&self) -> bool {
        !self.residents_by_age.is_empty()
    }

    /// Whether households by tenure are entered.
    pub fn has_tenures(&self) -> bool {
        !self.households_by_tenure.is_empty()
    }
}

/// A named definition of who counts as a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentDefinition {
    /// Slug, e.g. `lives-here`.
    pub key: String,
    /// Display label.
    pub label: String,
    /// The bases that make someone a resident under this definition.
    pub counts: BTreeSet<ResidentBasis>,
}

impl ResidentDefinition {
    /// "Lives, works, studies or worships here" and "lives here", in key order.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self {
                key: "connected".into(),
                label: "Lives, works, studies or worships in the area".into(),
                counts: BTreeSet::from([
                    ResidentBasis::Lives,
                    ResidentBasis::Works,
                    ResidentBasis::Studies,
                    ResidentBasis::Worships,
                ]),
            },
            Self {
                key: "lives-here".into(),
                label: "Lives in the area".into(),
                counts: BTreeSet::from([ResidentBasis::Lives]),
            },
        ]
    }

    /// Whether someone with these bases is a resident under this definition.
    pub fn includes(&self, bases: &BTreeSet<ResidentBasis>) -> bool {
        !self.counts.is_disjoint(bases)
    }
}
