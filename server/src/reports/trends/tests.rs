//! The trends report's months, weeks and protection.

use super::*;

fn at(text: &str) -> i64 {
    crate::calendar::parse_date(text, "a day").expect("a day")
}

fn months_of(period: &Selection, now: &str) -> (Vec<String>, (String, String)) {
    let (starts, (from, to)) = months_for(period, Timestamp::from_millis(at(now)));
    (
        starts[..starts.len() - 1]
            .iter()
            .map(|m| month_of(*m))
            .collect(),
        (crate::calendar::date(from), crate::calendar::date(to)),
    )
}

#[test]
fn with_no_dates_the_twelve_whole_months_before_this_one() {
    let (months, counted) = months_of(&Selection::default(), "2026-03-15");
    assert_eq!(months.len(), 12);
    assert_eq!(months[0], "2025-03");
    assert_eq!(months[11], "2026-02");
    assert_eq!(counted, ("2025-03-01".into(), "2026-03-01".into()));
}

#[test]
fn a_period_shows_its_months_up_to_now_and_at_most_the_latest_24() {
    let quarter = Selection {
        from: Some(at("2025-07-01")),
        to: Some(at("2025-10-01")),
        ..Selection::default()
    };
    let (months, counted) = months_of(&quarter, "2026-03-15");
    assert_eq!(months, ["2025-07", "2025-08", "2025-09"]);
    assert_eq!(counted, ("2025-07-01".into(), "2025-10-01".into()));
    // Days mid-month: the months they touch, counting only those days.
    let days = Selection {
        from: Some(at("2025-07-10")),
        to: Some(at("2025-08-20")),
        ..Selection::default()
    };
    let (months, counted) = months_of(&days, "2026-03-15");
    assert_eq!(months, ["2025-07", "2025-08"]);
    assert_eq!(counted, ("2025-07-10".into(), "2025-08-20".into()));
    // A year not over: its months so far.
    let year = Selection {
        from: Some(at("2026-01-01")),
        to: Some(at("2027-01-01")),
        ..Selection::default()
    };
    let (months, counted) = months_of(&year, "2026-03-15");
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(counted.1, "2026-04-01");
    let long = Selection {
        from: Some(at("2019-01-01")),
        ..Selection::default()
    };
    let (months, counted) = months_of(&long, "2026-03-15");
    assert_eq!(months.len(), MAX_MONTHS);
    assert_eq!(months[MAX_MONTHS - 1], "2026-03");
    assert_eq!(counted.0, "2024-04-01");
    // A cohort month is that month.
    let cohort = Selection {
        within: Some(crate::calendar::month_range("2025-02").expect("a month")),
        ..Selection::default()
    };
    assert_eq!(months_of(&cohort, "2026-03-15").0, ["2025-02"]);
}

#[test]
fn weeks_start_on_monday_utc() {
    let day = |text: &str| at(text) / Timestamp::DAY_MILLIS;
    // 1970-01-01 was a Thursday: its week began on Monday 29 December.
    assert_eq!(week_of_day(0), 0);
    assert_eq!(monday_of(0), -3);
    assert_eq!(week_of_day(day("1970-01-04")), 0, "a Sunday ends the week");
    assert_eq!(week_of_day(day("1970-01-05")), 1, "a Monday starts one");
    let monday = week_of_day(day("2025-01-06"));
    assert_eq!(monday_of(monday), day("2025-01-06"));
    assert_eq!(week_of_day(day("2025-01-12")), monday);
    assert_eq!(week_of_day(day("2025-01-13")), monday + 1);
}

#[test]
fn only_whole_weeks_within_the_months_and_over_by_now() {
    let weeks = |from: &str, to: &str, now: &str| -> Vec<String> {
        whole_weeks((at(from), at(to)), Timestamp::from_millis(at(now)))
            .map(|w| crate::calendar::date(monday_of(w) * Timestamp::DAY_MILLIS))
            .collect()
    };
    // January 2025 began on a Wednesday and ended on a Friday.
    assert_eq!(
        weeks("2025-01-01", "2025-02-01", "2026-01-01"),
        ["2025-01-06", "2025-01-13", "2025-01-20"]
    );
    // A month from a Monday to a Sunday is all whole weeks.
    assert_eq!(
        weeks("2024-12-30", "2025-01-06", "2026-01-01"),
        ["2024-12-30"]
    );
    // The week not over yet is left out.
    assert_eq!(
        weeks("2025-01-01", "2025-02-01", "2025-01-19"),
        ["2025-01-06"]
    );
    assert!(weeks("2025-01-01", "2025-01-05", "2026-01-01").is_empty());
}

fn people(day: &str, patch: &str, highest: i64, n: i64) -> DayPeople {
    DayPeople {
        day: at(day) / Timestamp::DAY_MILLIS,
        patch: patch.into(),
        highest_stage: Some(highest),
        people: n,
        keys: n * 977_000_001,
    }
}

/// Two months; Oak has 3 people contacted in the first, Elm 40.
fn small_patch(audience: Audience) -> Trends {
    let months = [at("2025-01-01"), at("2025-02-01"), at("2025-03-01")];
    let contacts = [
        people("2025-01-03", "elm", 0, 20),
        people("2025-01-20", "elm", 3, 20),
        people("2025-01-09", "oak", 1, 3),
        people("2025-02-14", "elm", 0, 30),
        people("2025-02-14", "oak", 0, 12),
    ];
    let conversations = [people("2025-01-05", "elm", 0, 25)];
    let participants = [
        people("2025-01-25", "elm", 0, 20),
        people("2025-02-02", "oak", 0, 6),
    ];
    let week = week_of_day(at("2025-01-06") / Timestamp::DAY_MILLIS);
    trends_from(
        TrendRows {
            months: &months,
            weeks: week..week + 3,
            contacts: &contacts,
            conversations: &conversations,
            participants: &participants,
            doors: &[(week, "oak".into(), 2), (week + 2, "elm".into(), 9)],
        },
        None,
        &Ladder::default(),
        None,
        Suppression::default(),
        audience,
    )
}

#[test]
fn a_person_counts_in_the_month_they_first_reached_each_step() {
    let r = small_patch(Audience::Exact);
    assert_eq!(r.months, ["2025-01", "2025-02"]);
    assert_eq!(r.by_patch[0].patch, "elm");
    // Elm's January (40) is hidden to protect Oak's 3: the page holds it.
    assert_eq!(r.page.value("by_patch.0.contacts.0"), Some(40));
    assert_eq!(r.page.value("contacts.0"), Some(43));
    assert_eq!(r.by_patch[0].contacts[1], Some(30));
    assert_eq!(r.by_patch[0].conversations, [Some(25), Some(0)]);
    assert_eq!(r.by_patch[0].new_participants, [Some(20), Some(0)]);
    assert_eq!(r.by_patch[1].new_participants, [Some(0), Some(6)]);
    assert_eq!(r.contacts[1], Some(42));
    // January's cohort: 43 contacted, of whom 23 went on to the
    // Conversation step and 20 as far as the fourth.
    assert_eq!(r.cohorts[0].month, "2025-01");
    assert_eq!(r.page.value("cohorts.0.reached.3"), Some(20));
    assert_eq!(r.page.value("cohorts.0.stopped.0"), Some(20));
    assert_eq!(r.cohorts[1].reached[1], Some(0));
    // Doors are exact, a small count too.
    assert_eq!(r.weeks, ["2025-01-06", "2025-01-13", "2025-01-20"]);
    assert_eq!(r.doors_knocked, [2, 0, 9]);
    assert_eq!(r.doors_by_patch[1].doors_knocked, [2, 0, 0]);
    let csv = r.to_csv();
    assert!(csv.starts_with("line,patch,label,period,value\n"), "{csv}");
    assert!(csv.contains("contacts,elm,elm,2025-02,30\n"), "{csv}");
    assert!(
        csv.contains("doors_knocked,all,Every patch,2025-01-20,9\n"),
        "{csv}"
    );
}

#[test]
fn a_small_cell_is_hidden_with_what_would_give_it_away() {
    for audience in [Audience::Exact, Audience::Adjusted] {
        let r = small_patch(audience);
        // Oak's 3 in January: small, and not to be had from January's
        // total less Elm's.
        assert_eq!(r.by_patch[1].contacts[0], None);
        assert_eq!(r.withheld["by_patch.1.contacts.0"], Withheld::Small);
        let elm = r.by_patch[0].contacts[0];
        let total = r.contacts[0];
        assert!(elm.is_none() || total.is_none(), "{audience:?}");
        // The cohort's first step is the same figure as the total.
        assert_eq!(r.cohorts[0].reached[0], total);
        // Oak's 3 stopped at the Conversation step: that cannot be had
        // from the steps either (23 reached it, 20 the next).
        assert_eq!(r.withheld["cohorts.0.stopped.1"], Withheld::Small);
        assert!(
            r.cohorts[0].reached[1].is_none() || r.cohorts[0].reached[2].is_none(),
            "{audience:?}: {:?}",
            r.cohorts[0].reached
        );
        assert!(r.withheld.values().all(|w| *w != Withheld::NotApplicable));
    }
    // A viewer's figures are adjusted but never shown below the
    // threshold when not zero.
    let viewer = small_patch(Audience::Adjusted);
    assert!(viewer.adjusted);
    for n in viewer
        .by_patch
        .iter()
        .flat_map(|p| p.contacts.iter().flatten())
    {
        assert!(*n == 0 || *n >= 5, "{n}");
    }
}
