//! The `creatorpulse` binary: settings, one-line errors, first start, SIGTERM.
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_creatorpulse");

fn creatorpulse(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("DATABASE_URL").env_remove("BIND").env("NO_COLOR", "1");
    cmd
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("creatorpulse-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts the command failed with exactly one `error:` line and no panic.
fn assert_one_line_failure(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "expected failure, stderr: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "no panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(needle), "{stderr}");
    let parts: Vec<&str> = lines[0].split(": ").filter(|p| p.len() > 8).collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(!parts[i + 1..].iter().any(|later| later.contains(part)), "said twice ({part}): {stderr}");
    }
}

#[test]
fn help_shows_every_setting_with_its_environment_variable() {
    let output = creatorpulse(&["--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);

    assert!(output.status.success());
    for var in [
        "DATABASE_URL",
        "DB_MAX_CONNECTIONS",
        "DB_CONNECT_TIMEOUT",
        "BIND",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "GRAPHIQL",
        "INTROSPECTION",
        "SHUTDOWN_TIMEOUT",
    ] {
        assert!(help.contains(&format!("[env: {var}")), "--help lacks {var}: {help}");
    }
    for command in ["serve", "migrate", "schema"] {
        assert!(help.contains(command), "--help lacks {command}");
    }
}

#[test]
fn a_malformed_database_url_exits_with_one_line() {
    let output = creatorpulse(&["migrate", "status"]).env("DATABASE_URL", "not a url").output().unwrap();

    assert_one_line_failure(&output, "cannot connect to the database");
}

#[test]
fn an_unreachable_database_exits_with_one_line() {
    let output = creatorpulse(&["migrate", "status", "--db-connect-timeout", "2"])
        .env("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .output()
        .unwrap();

    assert_one_line_failure(&output, "cannot connect to the database at postgres://nobody:***@127.0.0.1:1/none");
}

#[test]
fn a_port_in_use_exits_with_one_line() {
    let dir = temp_dir();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();

    let output = creatorpulse(&["serve", "--bind", &addr, "--log-level", "off"]).current_dir(&dir).output().unwrap();

    assert_one_line_failure(&output, &format!("cannot listen on {addr}"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn schema_prints_the_sdl() {
    let output = creatorpulse(&["schema"]).output().unwrap();

    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), creatorpulse::graphql::sdl());
}

#[test]
fn a_first_start_creates_the_sqlite_file_and_stops_cleanly_on_sigterm() {
    let dir = temp_dir();
    let mut child = creatorpulse(&["--bind", "127.0.0.1:0", "--log-level", "off"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr =
        line.split("http://").nth(1).and_then(|rest| rest.split('/').next()).expect("address printed").to_owned();

    let ready = std::net::TcpStream::connect(&addr).is_ok();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let exit = child.wait().unwrap();

    assert!(line.contains("/graphql") && line.contains("GraphiQL"), "{line}");
    assert!(ready, "the server listens on {addr}");
    assert!(dir.join("creatorpulse.db").exists(), "the SQLite file is created in the working directory");
    assert!(status.success());
    assert!(exit.success(), "SIGTERM is a clean shutdown: {exit:?}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn with_db_wait_an_unreachable_database_is_retried_then_given_up_in_one_error_line() {
    // An attempt waits up to 5 s for the pool: 7 s leave room for a second one.
    let output = creatorpulse(&["migrate", "status", "--db-connect-timeout", "1", "--db-wait", "7"])
        .env("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .env("LOG_FORMAT", "text")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success(), "{stderr}");
    let retries = stderr.lines().filter(|l| l.contains("the database is not reachable yet; retrying")).count();
    assert!(retries >= 1, "each failed attempt is said: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("cannot connect to the database at postgres://nobody:***@127.0.0.1:1/none"), "{stderr}");
    assert!(!stderr.contains("secret") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn with_db_wait_the_server_starts_once_the_database_can_be_opened() {
    let dir = temp_dir();
    // The database's directory does not exist yet: opening it fails until it is made.
    let url = format!("sqlite://{}/later/creatorpulse.db?mode=rwc", dir.display());
    let mut child = creatorpulse(&["--bind", "127.0.0.1:0", "--db-wait", "30", "--avatar-store", "avatars"])
        .current_dir(&dir)
        .env("DATABASE_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut errors = BufReader::new(child.stderr.take().unwrap());
    let mut first_warning = String::new();
    while !first_warning.contains("not reachable yet") {
        first_warning.clear();
        assert!(errors.read_line(&mut first_warning).unwrap() > 0, "the server said it retries");
    }
    std::fs::create_dir_all(dir.join("later")).unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|rest| rest.split('/').next()).map(str::to_owned);
    let ready = addr.as_deref().is_some_and(|a| std::net::TcpStream::connect(a).is_ok());
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let exit = child.wait().unwrap();

    assert!(ready, "the server listens once the database opens: {line}");
    assert!(exit.success(), "{exit:?}");
    std::fs::remove_dir_all(dir).ok();
}
