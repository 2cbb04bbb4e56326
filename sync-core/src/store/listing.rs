//! What the app's lists read of each document, and the lists themselves.
//!
//! The replica derives a [`Listing`] from a record every time it writes the
//! record's document, and hands both to the store in one call. A store that
//! keeps an index (the SQLite store) writes the listing in the same
//! transaction as the bytes and answers lists from it, without decoding any
//! document; the others ignore it, and the replica answers their lists by
//! decoding everything into a [`ScanLists`]. Both answer through [`Lists`],
//! and a test holds them to the same answers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::StorageError;
use crate::ids::{DocId, Timestamp};
use crate::model::{
    Address, AgeBand, DocKind, DoorOutcome, Event, OwedFollowUp, Person, Record, ResidentBasis,
    Tenure, WorkingGroup,
};

/// A person as lists show them: what a row on the screen needs, without
/// their interactions, consents or contact details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    /// Document id.
    pub id: DocId,
    /// Name, if they gave it.
    pub name: Option<String>,
    /// The patch slug.
    pub patch: String,
    /// The household they live in (an address record's id).
    pub household: Option<DocId>,
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Why they count as a resident.
    pub residency: BTreeSet<ResidentBasis>,
    /// Housing tenure.
    pub tenure: Option<Tenure>,
    /// Preferred language.
    pub language: Option<String>,
    /// They asked not to be contacted.
    pub do_not_contact: bool,
    /// Topics they care about.
    pub interests: BTreeSet<String>,
    /// How many interactions are recorded.
    pub interactions: u32,
    /// What happened at the latest doorstep conversation or knock.
    pub last_outcome: Option<DoorOutcome>,
    /// When anything last happened with them.
    pub last_contact: Option<Timestamp>,
    /// When each follow-up owed to them is due (`None`: no date given).
    pub follow_ups_due: Vec<Option<Timestamp>>,
}

impl PersonRow {
    /// Whether their age band is under 18.
    pub fn is_under_18(&self) -> bool {
        self.age_band.is_some_and(AgeBand::is_under_18)
    }

    /// Whether a door list may show them (see [`Person::on_door_list`]).
    pub fn on_door_list(&self) -> bool {
        !self.do_not_contact && !self.is_under_18()
    }
}

impl From<&Person> for PersonRow {
    fn from(p: &Person) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            patch: p.patch.clone(),
            household: p.household,
            age_band: p.age_band,
            residency: p.residency.clone(),
            tenure: p.tenure,
            language: p.language.clone(),
            do_not_contact: p.do_not_contact,
            interests: p.interests.clone(),
            interactions: u32::try_from(p.interactions.len()).unwrap_or(u32::MAX),
            last_outcome: p.last_door_outcome(),
            last_contact: p.last_contact(),
            follow_ups_due: p.follow_ups_owed().map(|(_, f)| f.due).collect(),
        }
    }
}

/// What a person's document puts in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonListing {
    /// The row lists show.
    pub row: PersonRow,
    /// What lists sort them by: their name folded (see [`fold`]), so
    /// "Zoë", "ZOE" and "Zoe" sort together, before "Zola".
    pub sort_name: Option<String>,
    /// What a search looks in: name, email, phone digits and patch, folded
    /// (see [`fold`]), one per line.
    pub search_text: String,
    /// The follow-ups owed to them, in the order they were promised.
    pub follow_ups: Vec<OwedFollowUp>,
}

/// What a document puts in the index, derived from its record.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    /// A person.
    Person(PersonListing),
    /// A door, whole (a walk list shows its knocks), and what a search for
    /// a person living there looks in.
    Door {
        /// The address.
        address: Address,
        /// House and street, locality and postcode, folded, one per line.
        search_text: String,
    },
    /// An event, whole.
    Event(Event),
    /// A working group, whole.
    Group(WorkingGroup),
    /// The area configuration: lists need only to find it.
    Area,
    /// A document this version cannot read (a newer schema): in no list.
    Unreadable,
}

impl Listing {
    /// The listing of a record.
    pub fn of(record: &Record) -> Self {
        match record {
            Record::Person(p) => Self::Person(PersonListing {
                row: PersonRow::from(p),
                sort_name: p.name.as_deref().map(fold),
                search_text: person_search_text(p),
                follow_ups: p
                    .follow_ups_owed()
                    .map(|(interaction, follow_up)| OwedFollowUp {
                        person: p.id,
                        name: p.name.clone(),
                        entry: interaction.id,
                        what: follow_up.what.clone(),
                        promised_at: interaction.at,
                        due: follow_up.due,
                    })
                    .collect(),
            }),
            Record::Address(a) => Self::Door {
                address: a.clone(),
                search_text: door_search_text(a),
            },
            Record::Event(e) => Self::Event(e.clone()),
            Record::Group(g) => Self::Group(g.clone()),
            Record::Area(_) => Self::Area,
        }
    }

    /// The kind of record listed, if readable.
    pub fn kind(&self) -> Option<DocKind> {
        match self {
            Self::Person(_) => Some(DocKind::Person),
            Self::Door { .. } => Some(DocKind::Address),
            Self::Event(_) => Some(DocKind::Event),
            Self::Group(_) => Some(DocKind::Group),
            Self::Area => Some(DocKind::Area),
            Self::Unreadable => None,
        }
    }
}

/// Text as a search compares it: compatibility-decomposed with accents and
/// other combining marks dropped ("Zoë" and "ZOE" both give "zoe"),
/// lower-cased, the Latin letters that do not decompose written as a
/// keyboard without them would ("Łukasz" gives "lukasz", "Straße"
/// "strasse"), and with runs of white space made one space.
pub fn fold(text: &str) -> String {
    let mut bare = String::with_capacity(text.len());
    for c in text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
    {
        match c {
            'ł' => bare.push('l'),
            'ø' => bare.push('o'),
            'đ' | 'ð' => bare.push('d'),
            'ħ' => bare.push('h'),
            'ı' => bare.push('i'),
            'ß' => bare.push_str("ss"),
            'æ' => bare.push_str("ae"),
            'œ' => bare.push_str("oe"),
            'þ' => bare.push_str("th"),
            c => bare.push(c),
        }
    }
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn person_search_text(p: &Person) -> String {
    let fields = [
        fold(p.name.as_deref().unwrap_or_default()),
        fold(p.email.as_deref().unwrap_or_default()),
        digits(p.phone.as_deref().unwrap_or_default()),
        fold(&p.patch),
    ];
    fields.join("\n")
}

fn door_search_text(a: &Address) -> String {
    let fields = [
        fold(&format!("{} {}", a.house, a.street)),
        fold(a.locality.as_deref().unwrap_or_default()),
        fold(a.postcode.as_deref().unwrap_or_default()),
    ];
    fields.join("\n")
}

/// What someone typed in a search box, ready to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// The text, folded (see [`fold`]); empty matches everyone.
    pub text: String,
    /// Its digits, when it looks like part of a phone number ("07700 900",
    /// "(0161) 496-0000"), so spaces and dashes typed differently still match.
    pub phone_digits: Option<String>,
}

impl Search {
    /// A search for `typed`.
    pub fn new(typed: &str) -> Self {
        let phone_like = typed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let phone_digits = Some(digits(typed)).filter(|d| phone_like && d.len() >= 3);
        Self {
            text: fold(typed),
            phone_digits,
        }
    }

    /// Whether this search matches everyone.
    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether a person (and the door they live at, if known) matches.
    pub fn matches(&self, person: &str, door: Option<&str>) -> bool {
        self.is_blank()
            || person.contains(&self.text)
            || door.is_some_and(|d| d.contains(&self.text))
            || self
                .phone_digits
                .as_deref()
                .is_some_and(|digits| person.contains(digits))
    }
}

/// A page of a list: skip `offset` rows, then at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows skipped.
    pub offset: usize,
    /// Most rows returned.
    pub limit: usize,
}

impl Page {
    /// The whole list.
    pub const ALL: Page = Page {
        offset: 0,
        limit: usize::MAX,
    };

    /// `limit` rows after the first `offset`.
    pub const fn new(offset: usize, limit: usize) -> Self {
        Self { offset, limit }
    }

    fn take<T>(self, rows: impl Iterator<Item = T>) -> Vec<T> {
        rows.skip(self.offset).take(self.limit).collect()
    }
}

/// The lists an app shows, as a store with an index answers them (or
/// [`ScanLists`], from every record decoded).
pub trait Lists {
    /// The people whose name, email, phone, patch or door matches, by
    /// name folded (people without one first), then id.
    fn search_people(&self, search: &Search, page: Page) -> Result<Vec<PersonRow>, StorageError>;
    /// The people a street champion may knock on ([`PersonRow::on_door_list`]),
    /// in `patch` or in every patch, by patch, name folded, then id.
    fn door_list(&self, patch: Option<&str>, page: Page) -> Result<Vec<PersonRow>, StorageError>;
    /// Follow-ups owed: soonest due first, undated last, then by when they
    /// were promised, then by person id and the order they were promised in.
    fn follow_ups_owed(&self) -> Result<Vec<OwedFollowUp>, StorageError>;
    /// The doors in `patch`, by id, and the people living at them, by id.
    fn doors(&self, patch: &str) -> Result<(Vec<Address>, Vec<PersonRow>), StorageError>;
    /// Every event, soonest first, then by id.
    fn events(&self) -> Result<Vec<Event>, StorageError>;
    /// Every working group, by name folded (see [`fold`]), then id.
    fn groups(&self) -> Result<Vec<WorkingGroup>, StorageError>;
    /// The area configuration's document, if held.
    fn area_id(&self) -> Result<Option<DocId>, StorageError>;
}

/// The lists computed from every record decoded: for stores without an index.
#[derive(Debug, Default)]
pub struct ScanLists {
    people: Vec<PersonListing>,
    doors: BTreeMap<DocId, (Address, String)>,
    events: Vec<Event>,
    groups: Vec<WorkingGroup>,
    area: Option<DocId>,
}

impl ScanLists {
    /// Lists over these documents' listings, given by id.
    pub fn new(listings: impl IntoIterator<Item = (DocId, Listing)>) -> Self {
        let mut lists = Self::default();
        for (id, listing) in listings {
            match listing {
                Listing::Person(p) => lists.people.push(p),
                Listing::Door {
                    address,
                    search_text,
                } => {
                    lists.doors.insert(id, (address, search_text));
                }
                Listing::Event(e) => lists.events.push(e),
                Listing::Group(g) => lists.groups.push(g),
                Listing::Area => {
                    lists.area.get_or_insert(id);
                }
                Listing::Unreadable => {}
            }
        }
        lists.people.sort_by_key(|p| p.row.id);
        lists.events.sort_by_key(|e| (e.starts_at, e.id));
        lists.groups.sort_by_cached_key(|g| (fold(&g.name), g.id));
        lists
    }
}

/// The order of people in lists.
fn by_name(p: &PersonListing) -> (&Option<String>, DocId) {
    (&p.sort_name, p.row.id)
}

impl Lists for ScanLists {
    fn search_people(&self, search: &Search, page: Page) -> Result<Vec<PersonRow>, StorageError> {
        let mut found: Vec<&PersonListing> = self
            .people
            .iter()
            .filter(|p| {
                let door = p.row.household.and_then(|h| self.doors.get(&h));
                search.matches(&p.search_text, door.map(|(_, text)| text.as_str()))
            })
            .collect();
        found.sort_by(|a, b| by_name(a).cmp(&by_name(b)));
        Ok(page.take(found.into_iter().map(|p| p.row.clone())))
    }

    fn door_list(&self, patch: Option<&str>, page: Page) -> Result<Vec<PersonRow>, StorageError> {
        let mut doors: Vec<&PersonListing> = self
            .people
            .iter()
            .filter(|p| p.row.on_door_list() && patch.is_none_or(|patch| p.row.patch == patch))
            .collect();
        doors.sort_by(|a, b| (&a.row.patch, by_name(a)).cmp(&(&b.row.patch, by_name(b))));
        Ok(page.take(doors.into_iter().map(|p| p.row.clone())))
    }

    fn follow_ups_owed(&self) -> Result<Vec<OwedFollowUp>, StorageError> {
        let mut owed: Vec<OwedFollowUp> = self
            .people
            .iter()
            .flat_map(|p| p.follow_ups.iter().cloned())
            .collect();
        // Stable, so promises made at the same moment stay by person id.
        owed.sort_by_key(|f| (f.due.is_none(), f.due, f.promised_at));
        Ok(owed)
    }

    fn doors(&self, patch: &str) -> Result<(Vec<Address>, Vec<PersonRow>), StorageError> {
        let addresses: Vec<Address> = self
            .doors
            .values()
            .filter(|(a, _)| a.patch == patch)
            .map(|(a, _)| a.clone())
            .collect();
        let people = self
            .people
            .iter()
            .map(|p| &p.row)
            .filter(|p| {
                p.household
                    .and_then(|h| self.doors.get(&h))
                    .is_some_and(|(a, _)| a.patch == patch)
            })
            .cloned()
            .collect();
        Ok((addresses, people))
    }

    fn events(&self) -> Result<Vec<Event>, StorageError> {
        Ok(self.events.clone())
    }

    fn groups(&self) -> Result<Vec<WorkingGroup>, StorageError> {
        Ok(self.groups.clone())
    }

    fn area_id(&self) -> Result<Option<DocId>, StorageError> {
        Ok(self.area)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_spacing() {
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("ZOË"), "zoe");
        assert_eq!(fold("  José   María "), "jose maria");
        assert_eq!(fold("Ångström"), "angstrom");
        // Letters with strokes and ligatures that do not decompose.
        assert_eq!(fold("Łukasz Søren"), "lukasz soren");
        assert_eq!(fold("STRAẞE Æsir Œuvre"), "strasse aesir oeuvre");
        // Compatibility forms: a ligature and full-width letters.
        assert_eq!(fold("ﬁona"), "fiona");
        assert_eq!(fold("ＡＢＣ"), "abc");
        // Scripts without accents are left as they are, lower-cased.
        assert_eq!(fold("Αθηνά"), "αθηνα");
        assert_eq!(fold("محمد"), "محمد");
    }

    #[test]
    fn a_search_matches_person_or_door_text_and_phone_digits() {
        let person = "zoe smith\nzoe@example.org\n07700900123\nelm-road";
        let door = "12 oak lane\n\nab1 2cd";
        assert!(Search::new("").matches(person, None));
        assert!(Search::new("   ").matches(person, None));
        assert!(Search::new("ZOË").matches(person, None));
        assert!(Search::new("example.ORG").matches(person, None));
        assert!(Search::new("0770 0900").matches(person, None));
        assert!(Search::new("(07700) 900-123").matches(person, None));
        assert!(Search::new("oak la").matches(person, Some(door)));
        assert!(!Search::new("oak la").matches(person, None));
        assert!(!Search::new("zebra").matches(person, Some(door)));
        // Two digits are too few to be read as part of a phone number.
        assert_eq!(Search::new("12").phone_digits, None);
        assert_eq!(Search::new("Flat 12").phone_digits, None);
        // A search never reaches across two fields.
        assert!(!Search::new("smith zoe").matches(person, None));
    }
}
