//! Tells the test suite, at build time, whether a PostgreSQL server is configured for it:
//! without `COGNATE_TEST_POSTGRES_URL` the PostgreSQL variants of the API tests are built
//! `#[ignore]`d and reported as ignored, instead of passing without running.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=COGNATE_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(cognate_test_postgres)");
    let configured = std::env::var("COGNATE_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
    if configured {
        println!("cargo::rustc-cfg=cognate_test_postgres");
    } else if std::env::var_os("CI").is_some() {
        println!(
            "cargo::warning=CI is set but COGNATE_TEST_POSTGRES_URL is not: the PostgreSQL tests will fail the run"
        );
    }
}
