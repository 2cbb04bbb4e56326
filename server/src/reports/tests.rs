//! Unit tests of the reports' shared parts: filters, suppression, CSV.

use super::*;
use sync_core::{Stage, StageRule, Timestamp};

#[test]
fn cohorts_are_calendar_months() {
    assert_eq!(
        cohort_range("1970-01").unwrap(),
        (0, 31 * Timestamp::DAY_MILLIS)
    );
    let (start, end) = cohort_range("2024-02").unwrap();
    assert_eq!((end - start) / Timestamp::DAY_MILLIS, 29);
    assert_eq!(start, 1_706_745_600_000); // 2024-02-01T00:00:00Z
    assert!(cohort_range("2024-13").is_err());
    assert!(cohort_range("24-1-1").is_err());
    assert_eq!(month_of(1_706_745_600_000), "2024-02");
    assert_eq!(month_of(1_706_745_600_000 - 1), "2024-01");
    assert_eq!(year_of(0), 1970);
    for month in ["2000-03", "2024-12", "1999-01"] {
        let (start, end) = cohort_range(month).unwrap();
        assert_eq!(
            (month_of(start), month_of(end - 1)),
            (month.into(), month.into())
        );
    }
}

#[test]
fn percentiles_use_nearest_rank_and_medians_the_middle() {
    let values: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(median(&values), Some(5.5));
    assert_eq!(median(&[3.0]), Some(3.0));
    assert_eq!(median(&[]), None);
    // The same from histograms.
    let histogram: Vec<(i64, u64)> = (1..=10).map(|v| (v, 1)).collect();
    assert_eq!(median_and_p90(&histogram), (Some(5.5), Some(9.0)));
    assert_eq!(median_and_p90(&[(2, 3), (7, 1)]), (Some(2.0), Some(7.0)));
    assert_eq!(median_and_p90(&[(2, 2), (7, 2)]), (Some(4.5), Some(7.0)));
    assert_eq!(median_and_p90(&[]), (None, None));
}

#[test]
fn small_counts_are_hidden_and_zero_is_shown() {
    let s = Suppression::new(5);
    assert_eq!(s.count(0), Some(0));
    assert_eq!(s.count(4), None);
    assert_eq!(s.count(5), Some(5));
}

#[test]
fn csv_fields_are_quoted_and_formulas_defused() {
    let quote = |field: &str| {
        let mut csv = Csv::new(5, &["field", "next"]);
        csv.row([field.to_owned(), "x".to_owned()]);
        let out = csv.finish();
        let row = out.strip_prefix("field,next\n").expect("the header first");
        row.strip_suffix(",x\n").expect("one row").to_owned()
    };
    assert_eq!(quote("plain"), "plain");
    assert_eq!(quote("a,b"), "\"a,b\"");
    assert_eq!(quote("say \"hi\""), r#""say ""hi""""#);
    assert_eq!(quote("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    assert_eq!(quote("-3.5"), "-3.5");
    assert_eq!(quote("-x"), "'-x");
    assert_eq!(quote(" =1+1"), "' =1+1");
    assert_eq!(quote("\n@SUM(A1)"), "\"'\n@SUM(A1)\"");
    assert_eq!(quote("\nplain"), "\"'\nplain\"");
    assert_eq!(quote("  -2"), "  -2");
    assert_eq!(quote("two words"), "two words");
}

#[test]
fn a_stage_and_a_champion_choose_people_and_unknown_ones_are_refused() {
    let ladder = Ladder::default();
    let champion = DeviceId::new(Timestamp::from_millis(1_735_689_600_000));
    let filters = Filters {
        stage: Some("participant".into()),
        champion: Some(format!(" {champion} ")),
        ..Filters::default()
    };
    let people = filters.selection(&ladder).unwrap();
    let participant = ladder
        .stages()
        .iter()
        .position(|s| s.rule == StageRule::Participant);
    assert_eq!(people.stage, participant);
    assert_eq!(people.champion, Some(champion));
    assert!(filters.describes_people());
    assert!(!Filters::default().describes_people());

    let refused = |filters: Filters, ladder: &Ladder| match filters.selection(ladder) {
        Err(Error::BadRequest(message)) => message,
        other => panic!("{filters:?} not refused: {other:?}"),
    };
    let unknown = refused(
        Filters {
            stage: Some("astronaut".into()),
            ..Filters::default()
        },
        &ladder,
    );
    assert!(unknown.contains("no stage \"astronaut\""), "{unknown}");
    assert!(unknown.contains("participant, volunteer"), "{unknown}");
    // A champion that is not an id is refused without repeating it back.
    let mistyped = refused(
        Filters {
            champion: Some("alice@example.org".into()),
            ..Filters::default()
        },
        &ladder,
    );
    assert!(!mistyped.contains("alice"), "{mistyped}");

    // The area's own ladder decides which keys exist, and their order.
    let own = Ladder::new(vec![
        Stage {
            key: "met".into(),
            label: "Met".into(),
            rule: StageRule::Contacted,
        },
        Stage {
            key: "joined-in".into(),
            label: "Joined in".into(),
            rule: StageRule::Participant,
        },
    ])
    .unwrap();
    let joined = Filters {
        stage: Some("joined-in".into()),
        ..Filters::default()
    };
    assert_eq!(joined.selection(&own).unwrap().stage, Some(1));
    refused(filters.clone(), &own);

    // A comparison keeps the stage and the champion for the earlier period.
    let compared = Filters {
        period: Some("2026-Q3".into()),
        ..filters
    }
    .periods()
    .unwrap();
    let (_, earlier) = compared.earlier.expect("the quarter before");
    assert_eq!(earlier.stage.as_deref(), Some("participant"));
    assert!(earlier.champion.is_some());
}
