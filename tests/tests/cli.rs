//! The `outreach` command line, run as a process.

use std::process::{Command, Output};

fn outreach(database_url: &str, args: &[&str]) -> Output {
    Command::new(tests::server::outreach_binary())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run outreach")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_every_command() {
    let output = outreach("sqlite::memory:", &["--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for command in ["serve", "migrate", "demo", "admin"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
}

#[test]
fn admin_commands_configure_the_area_and_make_invites() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("outreach.db").display());

    let output = outreach(&url, &["admin", "invite", "--role", "champion"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("a champion needs at least one patch"));

    let output = outreach(
        &url,
        &[
            "admin", "invite", "--role", "champion", "--patch", "elm-road",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let code = text(&output.stdout);
    assert_eq!(code.trim().len(), 24);
    assert!(code.trim().bytes().all(|b| b.is_ascii_hexdigit()));

    let output = outreach(
        &url,
        &[
            "admin",
            "area",
            "set",
            "--slug",
            "north-estate",
            "--name",
            "North Estate",
            "--threshold",
            "50",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = outreach(
        &url,
        &[
            "admin",
            "area",
            "patch",
            "elm-road",
            "--name",
            "Elm Road",
            "--households",
            "412",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = outreach(&url, &["admin", "area", "show"]);
    let area: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(area["area"], "north-estate");
    assert_eq!(area["resident_led_threshold_percent"], 50);
    assert_eq!(area["patches"][0]["households"], 412);

    let output = outreach(
        &url,
        &[
            "admin",
            "area",
            "set",
            "--lawful-basis",
            "volunteering=legitimate-interests",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let area: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(area["lawful_bases"]["volunteering"], "legitimate-interests");
    assert_eq!(area["lawful_bases"]["contact-again"], "consent");
    let output = outreach(
        &url,
        &[
            "admin",
            "area",
            "set",
            "--lawful-basis",
            "equality-monitoring=legitimate-interests",
        ],
    );
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("explicit consent"),
        "{}",
        text(&output.stderr)
    );

    let output = outreach(&url, &["admin", "area", "set", "--threshold", "0"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("threshold"),
        "{}",
        text(&output.stderr)
    );

    let output = outreach(&url, &["admin", "revoke", "not-a-device"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("is not a device id"));
}

#[test]
fn an_unusable_database_url_is_a_clear_error() {
    let output = outreach("mysql://nowhere/db", &["migrate"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("unsupported database URL"),
        "{}",
        text(&output.stderr)
    );
}
