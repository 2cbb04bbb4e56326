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

/// Checks that a command failed and said why.
fn assert_refused(output: &Output, says: &str) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "succeeded: {stderr}");
    assert!(stderr.contains(says), "{says:?} missing from: {stderr}");
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
    assert_refused(&output, "a champion needs at least one patch");

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
    // Census figures: a tenure that is not one is refused; one that is,
    // kept beside the patch.
    let census = |tenures: &str| {
        outreach(
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
                "--census-tenures",
                tenures,
            ],
        )
    };
    let refused = census("owner=200,castle=3");
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("unknown tenure"),
        "{}",
        text(&refused.stderr)
    );
    assert!(census("owner=200,social-rent=150").status.success());
    let output = outreach(&url, &["admin", "area", "show"]);
    let area: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        area["patches"][0]["census"]["households_by_tenure"]["social-rent"], 150,
        "{area}"
    );
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
    assert_refused(&output, "explicit consent");

    let output = outreach(&url, &["admin", "area", "set", "--threshold", "0"]);
    assert_refused(&output, "threshold");

    let output = outreach(&url, &["admin", "revoke", "not-a-device"]);
    assert_refused(&output, "is not a device id");

    // The invite made above is listed as open, cancelled by its id, and
    // then listed as cancelled; a second cancel says there is none.
    let output = outreach(&url, &["admin", "invites"]);
    let listed = text(&output.stdout);
    let line = listed.lines().next().expect("the invite");
    assert!(line.contains(" open "), "{listed}");
    let id = line.split_whitespace().next().expect("its id");
    let output = outreach(&url, &["admin", "cancel-invite", id]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = outreach(&url, &["admin", "invites"]);
    assert!(
        text(&output.stdout).contains(" cancelled "),
        "{}",
        text(&output.stdout)
    );
    let output = outreach(&url, &["admin", "cancel-invite", id]);
    assert_refused(&output, "unused invite not found");

    // Sign-in links start with the public URL, which must be one.
    let output = outreach(
        &url,
        &[
            "admin",
            "sign-in-link",
            "--public-url",
            "https://outreach.example.org/",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).starts_with("https://outreach.example.org/sign-in/"),
        "{}",
        text(&output.stdout)
    );
    let output = outreach(
        &url,
        &[
            "admin",
            "sign-in-link",
            "--public-url",
            "outreach.example.org/dashboard",
        ],
    );
    assert_refused(&output, "public URL");
}

#[test]
fn working_groups_are_added_listed_and_closed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("outreach.db").display());
    let admin = |args: &[&str]| outreach(&url, &[&["admin"], args].concat());
    let output = admin(&["groups", "add", "--name", "Youth forum"]);
    assert_refused(&output, "set up the area before adding groups");
    let output = admin(&[
        "area",
        "set",
        "--slug",
        "north-estate",
        "--name",
        "North Estate",
        "--topic",
        "youth",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = admin(&[
        "area",
        "patch",
        "elm-road",
        "--name",
        "Elm Road",
        "--households",
        "412",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = admin(&[
        "groups",
        "add",
        "--name",
        "Youth forum",
        "--topic",
        "housing",
    ]);
    assert_refused(&output, "group topics must be one of the area's topics");
    let output = admin(&[
        "groups",
        "add",
        "--name",
        "Youth forum",
        "--patch",
        "nowhere",
    ]);
    assert_refused(&output, "unknown patch");
    let output = admin(&[
        "groups",
        "add",
        "--name",
        "Youth forum",
        "--patch",
        "elm-road",
        "--topic",
        "youth",
        "--devolved-decisions",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let id = text(&output.stdout).trim().to_owned();
    let output = admin(&["groups", "list"]);
    let listed = text(&output.stdout);
    assert!(
        listed.contains(&id) && listed.contains("Youth forum") && listed.contains("(decisions)"),
        "{listed}"
    );
    let output = admin(&["groups", "close", &id]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&admin(&["groups", "list"]).stdout).contains("closed"));
    let output = admin(&["groups", "members", &id]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn serving_https_needs_a_certificate_a_key_and_an_https_address() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("outreach.db").display());
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());

    let output = outreach(
        &url,
        &["serve", "--bind", "127.0.0.1:0", "--tls-cert", cert],
    );
    assert_refused(&output, "--tls-key");

    let output = outreach(
        &url,
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--public-url",
            "http://outreach.example.org",
        ],
    );
    assert_refused(&output, "must start with https://");

    let output = outreach(
        &url,
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            key,
            "--tls-key",
            key,
        ],
    );
    assert_refused(&output, "the TLS certificate");
}

#[test]
fn an_unusable_database_url_is_a_clear_error() {
    let output = outreach("mysql://nowhere/db", &["migrate"]);
    assert_refused(&output, "unsupported database URL");
}
