//! A throwaway PostgreSQL server of the test's own (the machine's `initdb` and `pg_ctl`, in a
//! temporary directory, on a free port), which a test may restart and stop at will. Removed
//! when dropped.
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// PostgreSQL refuses to run as root: then its commands run as `postgres`.
    as_postgres: bool,
}

/// The newest installed PostgreSQL's programs, if any.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("pg_ctl").exists() && bin.join("initdb").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent().and_then(Path::file_name).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    found.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

impl PgServer {
    /// Starts a new server; `None` when PostgreSQL's programs are not installed.
    pub async fn start() -> Option<Self> {
        let bin = binaries()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let dir = std::env::temp_dir().join(format!("creatorpulse-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a directory for the server");
        let server = Self { bin, dir, port, as_postgres: is_root() };
        if server.as_postgres {
            let chown = Command::new("chown").arg("-R").arg("postgres").arg(&server.dir).status();
            assert!(chown.is_ok_and(|s| s.success()), "the server's directory given to postgres");
        }
        let data = server.dir.join("data");
        server.run("initdb", &["-D", path(&data), "-U", "postgres", "--auth=trust", "--no-sync"]).await;
        server.ctl(&["start"]).await;
        Some(server)
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it: `fast` (sessions ended, transactions rolled back) or `immediate` (as a crash).
    pub async fn stop(&self, mode: &str) {
        self.ctl(&["stop", "-m", mode]).await;
    }

    /// Starts it again after [`Self::stop`].
    pub async fn resume(&self) {
        self.ctl(&["start"]).await;
    }

    async fn ctl(&self, args: &[&str]) {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, path(&self.dir));
        let mut all = vec!["-D", path(&data), "-l", path(&log), "-w", "-o", &options];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all).await;
    }

    /// `program` of the server's PostgreSQL, run as the user the server runs as.
    fn command(&self, program: &str) -> Command {
        match self.as_postgres {
            true => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
                c
            }
            false => Command::new(self.bin.join(program)),
        }
    }

    async fn run(&self, program: &str, args: &[&str]) {
        let mut command = self.command(program);
        command.args(args);
        let output = tokio::task::spawn_blocking(move || command.output()).await.expect("runs").expect("starts");
        assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.command("pg_ctl").args(["-D", path(&data), "-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
