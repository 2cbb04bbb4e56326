//! The lists an app shows, read from this device's own records (no signal
//! needed), filtered and ordered here so every app shows the same.

use super::Replica;
use crate::error::Result;
use crate::ids::Clock;
use crate::model::{OwedFollowUp, Person};
use crate::store::Storage;

impl<S: Storage, C: Clock> Replica<S, C> {
    /// The people held whose name or patch contains `search` (in any case,
    /// surrounding spaces ignored; a blank search matches everyone), by
    /// name, then id. People without a name come first.
    pub fn search_people(&self, search: &str) -> Result<Vec<Person>> {
        let needle = search.trim().to_lowercase();
        let mut people: Vec<Person> = self
            .people()?
            .into_iter()
            .filter(|p| {
                needle.is_empty()
                    || p.name
                        .as_deref()
                        .is_some_and(|name| name.to_lowercase().contains(&needle))
                    || p.patch.to_lowercase().contains(&needle)
            })
            .collect();
        people.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
        Ok(people)
    }

    /// The people a street champion may knock on, in `patch` or in every
    /// patch held: never under-18s, never anyone who asked not to be
    /// contacted (see [`Person::on_door_list`]); by patch, name, then id.
    pub fn door_list(&self, patch: Option<&str>) -> Result<Vec<Person>> {
        let mut doors: Vec<Person> = self
            .people()?
            .into_iter()
            .filter(|p| p.on_door_list() && patch.is_none_or(|patch| p.patch == patch))
            .collect();
        doors.sort_by(|a, b| (&a.patch, &a.name, a.id).cmp(&(&b.patch, &b.name, b.id)));
        Ok(doors)
    }

    /// Follow-ups promised and not yet done, of everyone held: soonest due
    /// first, those without a date last (nothing presses them), and by when
    /// they were promised among those due together.
    pub fn follow_ups_owed(&self) -> Result<Vec<OwedFollowUp>> {
        let mut owed = Vec::new();
        for person in self.people()? {
            for (interaction, follow_up) in person.follow_ups_owed() {
                owed.push(OwedFollowUp {
                    person: person.id,
                    name: person.name.clone(),
                    entry: interaction.id,
                    what: follow_up.what.clone(),
                    promised_at: interaction.at,
                    due: follow_up.due,
                });
            }
        }
        // Stable, so promises made at the same moment stay by person id.
        owed.sort_by_key(|f| (f.due.is_none(), f.due, f.promised_at));
        Ok(owed)
    }
}
