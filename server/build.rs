//! Builds the server again when a migration is added or changed: the
//! migrations are compiled in (`sqlx::migrate!`), and without this a new
//! file under `migrations/` left an incremental build running the old set.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
