//! Which people a report counts ([`Selection`]), as SQL: the condition on
//! `people`, and how a query over rows joined to people reaches them.

use sync_core::{AgeBand, DeviceId, EntryChannel};

/// The people a report counts, checked: chosen by first contact (a date
/// range and a month), patch, entry channel, age band, the stage reached
/// and the champion who knocked. Empty, it is everyone contacted (who
/// reached the ladder's first stage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// First contacted at or after this time (ms since the epoch).
    pub from: Option<i64>,
    /// First contacted before this time.
    pub to: Option<i64>,
    /// First contacted within this `[start, end)` (a cohort month).
    pub within: Option<(i64, i64)>,
    /// Only this patch.
    pub patch: Option<String>,
    /// Only this entry channel.
    pub channel: Option<EntryChannel>,
    /// Only this age band.
    pub age_band: Option<AgeBand>,
    /// Only people who reached the ladder's stage at this index or went
    /// past it (`people.highest_stage`, as the funnel's "reached").
    pub stage: Option<usize>,
    /// Only people this champion's phone recorded a doorstep visit with
    /// (`champion_contacts`).
    pub champion: Option<DeviceId>,
}

#[derive(Debug, Clone)]
pub(super) enum SqlValue {
    Int(i64),
    Text(String),
}

/// Appends a query parameter after those bound so far; returns its
/// placeholder (`$n`).
pub(super) fn bind(values: &mut Vec<SqlValue>, value: SqlValue) -> String {
    values.push(value);
    format!("${}", values.len())
}

impl Selection {
    /// Whether nobody is left out (every person contacted counts).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Clauses for the dates on the column `time`, binding their values
    /// after those in `values`.
    fn dates(&self, time: &str, values: &mut Vec<SqlValue>) -> Vec<String> {
        let mut clauses = Vec::new();
        let mut push = |op: &str, value: i64| {
            let placeholder = bind(values, SqlValue::Int(value));
            clauses.push(format!("{time} {op} {placeholder}"));
        };
        if let Some(from) = self.from {
            push(">=", from);
        }
        if let Some(to) = self.to {
            push("<", to);
        }
        if let Some((start, end)) = self.within {
            push(">=", start);
            push("<", end);
        }
        clauses
    }

    /// Clauses for the dates on the column `time` and the patch on the
    /// column `patch`, binding their values after those in `values`.
    pub(super) fn time_and_patch(
        &self,
        time: &str,
        patch: &str,
        values: &mut Vec<SqlValue>,
    ) -> Vec<String> {
        let mut clauses = self.dates(time, values);
        clauses.extend(self.patch_clause(patch, values));
        clauses
    }

    /// The clause for the patch on the column `patch`, if one is chosen.
    fn patch_clause(&self, patch: &str, values: &mut Vec<SqlValue>) -> Option<String> {
        let value = self.patch.as_ref()?;
        let placeholder = bind(values, SqlValue::Text(value.clone()));
        Some(format!("{patch} = {placeholder}"))
    }

    /// The clauses on what every row joined to a person carries of them,
    /// on the table aliased `alias`: contacted, first contacted within the
    /// dates, and the step reached.
    fn carried(&self, alias: &str, values: &mut Vec<SqlValue>) -> Vec<String> {
        let first_contact = format!("{alias}.first_contact_at");
        let mut clauses = vec![format!("{first_contact} IS NOT NULL")];
        clauses.extend(self.dates(&first_contact, values));
        if let Some(stage) = self.stage {
            let placeholder = bind(values, SqlValue::Int(stage as i64));
            clauses.push(format!("{alias}.highest_stage >= {placeholder}"));
        }
        clauses
    }

    /// The SQL condition on `people p` and its parameters.
    pub(super) fn condition(&self) -> (String, Vec<SqlValue>) {
        let mut values = Vec::new();
        let mut clauses = self.carried("p", &mut values);
        clauses.extend(self.patch_clause("p.patch", &mut values));
        if let Some(channel) = self.channel {
            let placeholder = bind(&mut values, SqlValue::Text(channel.as_str().to_owned()));
            clauses.push(format!("p.entry_channel = {placeholder}"));
        }
        if let Some(band) = self.age_band {
            let placeholder = bind(&mut values, SqlValue::Text(band.as_str().to_owned()));
            clauses.push(format!("p.age_band = {placeholder}"));
        }
        if let Some(champion) = self.champion {
            let placeholder = bind(&mut values, SqlValue::Text(champion.to_string()));
            clauses.push(format!(
                "p.id IN (SELECT cc.person_id FROM champion_contacts cc \
                 WHERE cc.recorded_by = {placeholder})"
            ));
        }
        (clauses.join(" AND "), values)
    }

    /// Whether only dates and a stage choose the people: what every row
    /// joined to a person carries of them ([`Self::carried`]).
    fn on_joined_rows_alone(&self) -> bool {
        let Self {
            from: _,
            to: _,
            within: _,
            patch,
            channel,
            age_band,
            stage: _,
            champion,
        } = self;
        patch.is_none() && channel.is_none() && age_band.is_none() && champion.is_none()
    }

    /// For a query over a per-person table aliased `alias` (one whose rows
    /// carry their person's `first_contact_at` and `highest_stage`): what
    /// goes before the table in FROM, and the WHERE condition. Without
    /// filters the table is read alone (every row belongs to someone
    /// contacted), and so it is when only dates and a stage choose: those
    /// choose a large share of everyone (a year, or the half who reached
    /// Participant in the benchmark), and looking up each one's rows took
    /// seconds at a million people, where reading the table's own index
    /// takes a tenth of a second. With the other filters the chosen people
    /// lead: `people p CROSS JOIN` keeps SQLite from walking every row of
    /// the table first (PostgreSQL plans it as any join).
    pub(super) fn people_leading(&self, alias: &str) -> (&'static str, String, Vec<SqlValue>) {
        if self.is_empty() {
            return ("", "1 = 1".to_owned(), Vec::new());
        }
        if self.on_joined_rows_alone() {
            let mut values = Vec::new();
            let clauses = self.carried(alias, &mut values);
            return ("", clauses.join(" AND "), values);
        }
        let (condition, values) = self.condition();
        (
            "people p CROSS JOIN",
            format!("{alias}.person_id = p.id AND {condition}"),
            values,
        )
    }
}
