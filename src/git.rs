//! Reading a git repository for `diff` and `check --config-rev`: a revision resolved safely, a
//! file read as a blob (no checkout, no network, no link followed).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::Error;

pub(crate) fn git(repo: &Path, args: &[&str]) -> Result<String, Error> {
    git_bytes(repo, args).map(|out| String::from_utf8_lossy(&out).trim().to_string())
}

/// The commit `rev` names. Resolved first, so a missing revision is named with git's own
/// message, and so an option-like name cannot be taken for a flag.
pub(crate) fn resolve(top: &Path, rev: &str) -> Result<String, Error> {
    git(
        top,
        &[
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|e| {
        let said = match e {
            Error::Git(message) if !message.is_empty() => format!(" (git: {message})"),
            _ => String::new(),
        };
        Error::Git(format!(
            "revision `{rev}` does not exist in {}{said}",
            top.display()
        ))
    })
}

/// The content of the file at `path` (relative to the repository's top) in `commit`, read
/// from git without extracting the revision; `None` when there is no such file. `shown` names
/// it in messages.
pub(crate) fn file_at(
    top: &Path,
    commit: &str,
    path: &str,
    shown: &str,
) -> Result<Option<String>, Error> {
    let entry = git(
        top,
        &[
            "--literal-pathspecs",
            "ls-tree",
            "--full-tree",
            commit,
            "--",
            path,
        ],
    )?;
    // `<mode> <type> <object>\t<path>`; nothing when the path is not in the commit.
    let Some((meta, _)) = entry.split_once('\t') else {
        return Ok(None);
    };
    match meta.split(' ').collect::<Vec<_>>()[..] {
        ["100644" | "100755", "blob", object] => {
            let bytes = git_bytes(top, &["cat-file", "blob", object])?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::Git(format!("`{shown}` is not UTF-8 text")))
        }
        _ => Err(Error::Git(format!(
            "`{shown}` is not a regular file (a link or a directory); the configuration of a revision is read from git, and links are not followed"
        ))),
    }
}

pub(crate) fn git_bytes(repo: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::Git(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(out.stdout)
}
