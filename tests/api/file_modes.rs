//! File modes (finding 13): the data folder, the mail folder, the SQLite database with its
//! `-wal`, `-shm` and `.migrate-lock` files, and the keys are private from the first start,
//! and a start tightens any of them found looser, logging each change once.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cognate::startup::Application;
use serde_json::json;

use crate::helpers::{Backend, TestDatabase, adopt, test_settings};
use crate::on_both;
use crate::process::Process;

on_both!(
    data_files_are_private_from_the_first_start,
    a_start_tightens_loosened_files_and_logs_each_once,
);

const TIGHTENED: &str =
    "tightened permissions: only the service's user may read this data file or folder";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A data folder that does not exist yet, and the database URL that goes with it.
fn fresh_data_dir(db: &TestDatabase, backend: Backend) -> (PathBuf, String) {
    let data = db.dir.path().join("data");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", data.join("cognate.db").display()),
        Backend::Postgres => db.url.clone(),
    };
    (data, url)
}

/// What Cognate keeps in the data folder for this engine, with the mode it must have.
fn private_paths(data: &Path, backend: Backend) -> Vec<(PathBuf, u32)> {
    let mut paths = vec![
        (data.to_path_buf(), 0o700),
        (data.join("outbox"), 0o700),
        (data.join("master-key"), 0o600),
    ];
    if backend == Backend::Sqlite {
        for name in [
            "cognate.db",
            "cognate.db-wal",
            "cognate.db-shm",
            "cognate.db.migrate-lock",
        ] {
            paths.push((data.join(name), 0o600));
        }
    }
    paths
}

#[track_caller]
fn assert_private(paths: &[(PathBuf, u32)]) {
    for (path, wanted) in paths {
        let mode = mode(path);
        assert!(
            mode == *wanted,
            "{} is {mode:o}, not {wanted:o}",
            path.display()
        );
    }
}

async fn data_files_are_private_from_the_first_start(backend: Backend) {
    let db = Arc::new(TestDatabase::new(backend).await);
    let (data, url) = fresh_data_dir(&db, backend);
    let dir = data.display().to_string();
    let settings = test_settings(&db, &[("data_dir", &dir), ("database_url", &url)]);
    let app = adopt(Application::build(settings).await.unwrap(), db.clone());
    app.create_pool("modes", json!({})).await;
    // While the app runs, SQLite's -wal and -shm files exist beside the database.
    assert_private(&private_paths(&data, backend));
}

async fn a_start_tightens_loosened_files_and_logs_each_once(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let (data, url) = fresh_data_dir(&db, backend);
    let dir = data.display().to_string();
    let env = [
        ("COGNATE_DATA_DIR", dir.as_str()),
        ("COGNATE_DATABASE_URL", url.as_str()),
    ];
    let mut first = Process::start(&env).await;
    let paths = private_paths(&data, backend);
    assert_private(&paths);
    // As an older version or a careless copy would leave them; killed, so SQLite's -wal
    // and -shm files stay behind.
    for (path, wanted) in &paths {
        set_mode(path, if *wanted == 0o700 { 0o755 } else { 0o644 });
    }
    first.kill();
    let second = Process::start(&env).await;
    assert_private(&paths);
    let mut tightened: Vec<(String, String, String)> = second
        .messages(TIGHTENED)
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap_or_default().to_string();
            (field("path"), field("from"), field("to"))
        })
        .collect();
    tightened.sort();
    let mut expected: Vec<(String, String, String)> = paths
        .iter()
        .map(|(path, wanted)| {
            let (from, to) = if *wanted == 0o700 {
                ("0755", "0700")
            } else {
                ("0644", "0600")
            };
            (path.display().to_string(), from.into(), to.into())
        })
        .collect();
    expected.sort();
    assert_eq!(tightened, expected, "one line per change");
    drop(second);
    // Nothing left to change: nothing said.
    let third = Process::start(&env).await;
    assert!(third.messages(TIGHTENED).is_empty());
}
