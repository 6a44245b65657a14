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

/// `git -C repo`, never reaching the network: in a partial clone (`--filter=blob:none`, an
/// option of `actions/checkout`) git fetches a missing object from the remote when it is read,
/// one request per blob and with the remote's settings from the clone's config; the tool uses
/// no network, so a missing object is an error that says how to fetch it
/// ([`missing_objects_note`]). `GIT_NO_LAZY_FETCH` is git's (2.45 and later).
fn git_in(repo: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(repo).env("GIT_NO_LAZY_FETCH", "1");
    command
}

/// What to do about an object git does not have: said after git's own words.
pub(crate) fn missing_objects_note() -> &'static str {
    "the object is not in this clone (a partial clone, `--filter=blob:none`, fetches objects only when read, and manifest-guard uses no network): fetch the base revision's objects first, e.g. `git fetch --refetch origin <base>`, or check out without `filter`"
}

pub(crate) fn git_bytes(repo: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = git_in(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let lazy = said.contains("lazy fetching disabled") || said.contains("promisor");
        return Err(Error::Git(if lazy {
            format!("{said}: {}", missing_objects_note())
        } else {
            said
        }));
    }
    Ok(out.stdout)
}

/// One entry of `git ls-tree -r -z`; its path as git stores it (bytes, not always UTF-8).
struct TreeEntry<'a> {
    mode: &'a str,
    kind: &'a str,
    object: &'a str,
    path: &'a [u8],
}

impl TreeEntry<'_> {
    fn shown(&self) -> String {
        String::from_utf8_lossy(self.path).into_owned()
    }
}

/// The entries of `ls-tree -r -z` output: `<mode> SP <type> SP <object> TAB <path> NUL`.
fn tree_entries(listing: &[u8]) -> Result<Vec<TreeEntry<'_>>, Error> {
    listing
        .split(|&b| b == 0)
        .filter(|record| !record.is_empty())
        .map(|record| {
            let unexpected = || {
                Error::Git(format!(
                    "unexpected `git ls-tree` line: {}",
                    String::from_utf8_lossy(record)
                ))
            };
            let tab = record
                .iter()
                .position(|&b| b == b'\t')
                .ok_or_else(unexpected)?;
            let meta = std::str::from_utf8(&record[..tab]).map_err(|_| unexpected())?;
            match meta.split(' ').collect::<Vec<_>>()[..] {
                [mode, kind, object] => Ok(TreeEntry {
                    mode,
                    kind,
                    object,
                    path: &record[tab + 1..],
                }),
                _ => Err(unexpected()),
            }
        })
        .collect()
}

/// `path` below `dest`, when every component is a plain name: a tree that names `..`, `.`, an
/// empty component or an absolute path (git itself never writes one, a crafted object can) is
/// refused, as `tar` refuses such a member.
fn below(dest: &Path, path: &[u8]) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let plain = !path.is_empty()
        && path
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..");
    plain.then(|| dest.join(std::ffi::OsStr::from_bytes(path)))
}

/// The name git gives a blob of these bytes (`git hash-object`), in the repository's SHA-1
/// format; a repository in SHA-256 never matches it, and is read from git whole. `None` when
/// the bytes carry a SHA-1 collision attack (detected as git's sha1dc does): git is asked for
/// that blob, and refuses it, instead of this file standing in for another with the same name.
fn blob_name(bytes: &[u8]) -> Option<String> {
    use sha1_checked::Digest;
    let mut hasher = sha1_checked::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    let result = hasher.try_finalize();
    (!result.has_collision()).then(|| result.hash().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the files of `commit` (every path of the repository) into the empty directory
/// `dest`, read from git's objects: `git ls-tree -r -z` names the blobs and one
/// `git cat-file --batch` streams them. The bytes are the blobs' own, whatever
/// `.gitattributes` says (no `export-ignore`, `export-subst`, end-of-line conversion or filter,
/// which `git archive` would apply). Links are written as links, after every file and
/// directory, so that no file is ever written through one (a link is never followed here; the
/// load decides what a link may reach); a submodule is an empty directory, as in an archive.
///
/// `known(path)` (the path below the repository's top) may give bytes the caller already read
/// — the working tree's file of the same path. A blob is written from them, without asking
/// git, when they are the blob's own: when git's name for those bytes is the blob's name (a
/// blob's name is its content's hash). Whatever `known` gives, every path gets its blob's
/// bytes and nothing else.
pub(crate) fn write_tree(
    top: &Path,
    commit: &str,
    dest: &Path,
    known: &(dyn Fn(&[u8]) -> Option<std::sync::Arc<str>> + Sync),
) -> Result<(), Error> {
    let listed = list_tree(top, commit, dest)?;
    fill_tree(top, dest, &listed, known)
}

/// A revision's tree as git lists it, its directories (and submodules' empty directories)
/// already made under the destination: what [`fill_tree`] writes the files of. Listing needs
/// nothing of the files at hand, so it can run while they are read.
pub(crate) struct ListedTree {
    listing: Vec<u8>,
}

/// The first half of [`write_tree`]: lists `commit`'s tree and makes its directories in `dest`.
pub(crate) fn list_tree(top: &Path, commit: &str, dest: &Path) -> Result<ListedTree, Error> {
    let listing = git_bytes(top, &["ls-tree", "-r", "-z", "--full-tree", commit])?;
    let entries = tree_entries(&listing)?;
    let mut made: Option<std::path::PathBuf> = None;
    for entry in &entries {
        let path = entry_path(dest, entry)?;
        // Entries come directory by directory: most share the previous one's parent.
        if let Some(parent) = path.parent()
            && made.as_deref() != Some(parent)
        {
            std::fs::create_dir_all(parent).map_err(|e| write_error(entry, &e))?;
            made = Some(parent.to_path_buf());
        }
        if let ("160000", "commit") = (entry.mode, entry.kind) {
            std::fs::create_dir(&path).map_err(|e| write_error(entry, &e))?;
        }
    }
    drop(entries);
    Ok(ListedTree { listing })
}

/// Where `entry` goes below `dest`: refused when its path would leave it. (The caller names the
/// revision: `diff` says "cannot extract `<rev>`" before this.)
fn entry_path(dest: &Path, entry: &TreeEntry<'_>) -> Result<std::path::PathBuf, Error> {
    below(dest, entry.path)
        .ok_or_else(|| Error::Git(format!("the path `{}` leaves the tree", entry.shown())))
}

/// The second half of [`write_tree`]: writes the files (and links) of the tree `listed` holds
/// into `dest`, whose directories [`list_tree`] made.
pub(crate) fn fill_tree(
    top: &Path,
    dest: &Path,
    listed: &ListedTree,
    known: &(dyn Fn(&[u8]) -> Option<std::sync::Arc<str>> + Sync),
) -> Result<(), Error> {
    use std::io::{BufRead, BufReader, Read, Write};

    let entries = tree_entries(&listed.listing)?;
    let mut blobs: Vec<(&TreeEntry<'_>, std::path::PathBuf)> = Vec::new();
    for entry in &entries {
        if entry.kind == "blob" {
            blobs.push((entry, entry_path(dest, entry)?));
        }
    }
    // Identical files are one blob (often, in a repository of similar Applications): each blob
    // is read once and written to every path that holds it.
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, (entry, _)) in blobs.iter().enumerate() {
        let g = *group_of.entry(entry.object).or_insert_with(|| {
            groups.push((entry.object, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i);
    }
    // The blobs whose bytes are at hand (each path's bytes hashed at most once: a path is in
    // one group) are written on every core, git being asked for the others only. Each group
    // writes its own paths (their directories exist already); the links and the first error
    // are taken in group order, so what is written and said does not depend on the threads.
    let write_held = |(object, members): &(&str, Vec<usize>)| {
        let held = members
            .iter()
            .filter_map(|&m| known(blobs[m].0.path))
            .find(|bytes| blob_name(bytes.as_bytes()).as_deref() == Some(*object))?;
        let members: Vec<&(&TreeEntry<'_>, std::path::PathBuf)> =
            members.iter().map(|&m| &blobs[m]).collect();
        let mut links = Vec::new();
        Some(write_blob(&mut held.as_bytes(), &members, &mut links).map(|()| links))
    };
    // A crafted tree may list one path twice (git's fsck refuses it, `ls-tree` lists it): two
    // groups would then race to create the same file, and which one fails (and the path the
    // error names) would be the scheduler's. Such a tree is written one group at a time, in
    // group order, up to its first error, as before the writes were parallel.
    let listed_twice = {
        let mut seen = std::collections::HashSet::with_capacity(blobs.len());
        blobs.iter().any(|(entry, _)| !seen.insert(entry.path))
    };
    let written: Vec<Option<std::io::Result<WrittenLinks<'_>>>> = if listed_twice {
        let mut written = Vec::with_capacity(groups.len());
        for group in &groups {
            let one = write_held(group);
            let failed = matches!(one, Some(Err(_)));
            written.push(one);
            if failed {
                break;
            }
        }
        written
    } else {
        use rayon::prelude::*;
        groups.par_iter().map(write_held).collect()
    };
    let mut links: WrittenLinks<'_> = Vec::new();
    let mut from_git: Vec<&(&str, Vec<usize>)> = Vec::new();
    for (group, written) in groups.iter().zip(written) {
        match written {
            None => from_git.push(group),
            Some(Ok(mut more)) => links.append(&mut more),
            Some(Err(e)) => return Err(write_error(blobs[group.1[0]].0, &e)),
        }
    }
    if from_git.is_empty() {
        return write_links(links);
    }
    let (mut child, group) = crate::scratch::spawn_group(
        git_in(top)
            .args(["cat-file", "--batch", "--buffer"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| Error::Git(format!("cannot run git cat-file: {e}")))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(Error::Git("git cat-file gave no pipes".into()));
    };
    // The object names go in from a thread of their own: git answers as it reads, and a pipe
    // written and read by one thread would fill up and stall both.
    let names: String = from_git
        .iter()
        .map(|(object, _)| format!("{object}\n"))
        .collect();
    let feeder = std::thread::spawn(move || stdin.write_all(names.as_bytes()));
    let mut out = BufReader::with_capacity(1 << 16, stdout);
    let mut result = Ok(());
    let mut header = String::new();
    for (object, members) in from_git {
        if crate::scratch::interrupted() {
            result = Err(Error::Git("interrupted".into()));
            break;
        }
        let (entry, _) = &blobs[members[0]];
        header.clear();
        let size = match out.read_line(&mut header) {
            Ok(_) => header
                .trim_end()
                .strip_prefix(*object)
                .and_then(|rest| rest.strip_prefix(" blob "))
                .and_then(|n| n.parse::<u64>().ok()),
            Err(_) => None,
        };
        let Some(size) = size else {
            let header = header.trim_end();
            let note = if header.ends_with(" missing") {
                format!(": {}", missing_objects_note())
            } else {
                String::new()
            };
            result = Err(Error::Git(format!(
                "cannot read `{}` from git: {header}{note}",
                entry.shown(),
            )));
            break;
        };
        let mut body = (&mut out).take(size);
        let members: Vec<&(&TreeEntry<'_>, std::path::PathBuf)> =
            members.iter().map(|&m| &blobs[m]).collect();
        let written = write_blob(&mut body, &members, &mut links);
        // Each object ends with a newline of git's.
        let mut newline = [0u8; 1];
        if let Err(e) = written.and_then(|()| out.read_exact(&mut newline)) {
            result = Err(write_error(entry, &e));
            break;
        }
    }
    drop(out);
    let fed = feeder.join();
    let finished = child.wait_with_output();
    drop(group);
    result?;
    match (fed, finished) {
        (Ok(Ok(())), Ok(status)) if status.status.success() => {}
        (_, Ok(status)) => {
            return Err(Error::Git(format!(
                "git cat-file failed: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            )));
        }
        (_, Err(e)) => return Err(Error::Git(format!("git cat-file failed: {e}"))),
    }
    write_links(links)
}

/// The links of a revision still to write: each entry, its path, and the link's target.
type WrittenLinks<'e> = Vec<(&'e TreeEntry<'e>, &'e std::path::PathBuf, Vec<u8>)>;

/// Writes the links of a revision, after every file (so that no file is written through one).
fn write_links(links: WrittenLinks<'_>) -> Result<(), Error> {
    for (entry, path, target) in links {
        use std::os::unix::ffi::OsStrExt;
        std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), path)
            .map_err(|e| write_error(entry, &e))?;
    }
    Ok(())
}

/// A new file at `path` with the mode git gives `entry`: never through a link and never over
/// a file (`create_new` refuses both).
fn create(entry: &TreeEntry<'_>, path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if entry.mode == "100755" { 0o755 } else { 0o644 })
        .open(path)
}

/// Writes one blob (`body`, read to its end) to every path that holds it: a regular file
/// streamed to the first file and linked (or, with another mode, copied) from there to the
/// others, a link's target kept in `links` to be written after every file.
fn write_blob<'e>(
    body: &mut impl std::io::Read,
    members: &[&'e (&'e TreeEntry<'e>, std::path::PathBuf)],
    links: &mut Vec<(&'e TreeEntry<'e>, &'e std::path::PathBuf, Vec<u8>)>,
) -> std::io::Result<()> {
    let first_file = members.iter().position(|(e, _)| e.mode != "120000");
    let mut target = None;
    match first_file {
        Some(k) => {
            let (entry, path) = members[k];
            std::io::copy(body, &mut create(entry, path)?)?;
        }
        None => {
            let mut bytes = Vec::new();
            body.read_to_end(&mut bytes)?;
            target = Some(bytes);
        }
    }
    for (k, (entry, path)) in members.iter().map(|m| (m.0, &m.1)).enumerate() {
        let written = first_file.map(|f| &members[f].1);
        if entry.mode == "120000" {
            let bytes = match (&target, written) {
                (Some(bytes), _) => bytes.clone(),
                // The same bytes as the file written above.
                (None, Some(file)) => std::fs::read(file)?,
                (None, None) => Vec::new(),
            };
            links.push((entry, path, bytes));
        } else if let Some(file) = written
            && first_file != Some(k)
        {
            // A hard link to the file just written, when the mode is the same (they share it):
            // one call instead of a new file's data written again, for every copy of a blob.
            // Like `create`, it never writes through a link and never replaces a file.
            let same_mode = first_file.is_some_and(|f| members[f].0.mode == entry.mode);
            if !same_mode || std::fs::hard_link(file, path).is_err() {
                std::io::copy(&mut std::fs::File::open(file)?, &mut create(entry, path)?)?;
            }
        }
    }
    Ok(())
}

fn write_error(entry: &TreeEntry<'_>, e: &std::io::Error) -> Error {
    Error::Git(format!(
        "cannot write `{}` of the revision: {e}",
        entry.shown()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    // A blob whose bytes the caller holds (the working tree's file, read by the head's load) is
    // written from them, without git (performance, issue 12: git reading thousands of objects
    // was a fifth of a diff): here git no longer has that object at all. Bytes that are not
    // the blob's are never written: the other path gets git's bytes. (Before, every blob was
    // read from git, and the missing object failed the write.)
    #[test]
    fn a_blob_whose_bytes_are_at_hand_is_written_without_git() {
        let repo = tempfile::tempdir().expect("tmp");
        let (held, other) = ("kind: Held\n", "kind: Other\n");
        std::fs::write(repo.path().join("held.yaml"), held).expect("write");
        std::fs::write(repo.path().join("other.yaml"), other).expect("write");
        run_git(repo.path(), &["init", "--quiet"]);
        run_git(repo.path(), &["add", "--all"]);
        run_git(
            repo.path(),
            &["commit", "--quiet", "--message", "two blobs"],
        );
        let commit = git(repo.path(), &["rev-parse", "HEAD"]).expect("commit");
        let name = blob_name(held.as_bytes()).expect("no collision attack in plain text");
        assert_eq!(
            git(repo.path(), &["rev-parse", "HEAD:held.yaml"]).expect("blob"),
            name
        );
        let object = repo
            .path()
            .join(".git/objects")
            .join(&name[..2])
            .join(&name[2..]);
        std::fs::remove_file(object).expect("the loose object");
        let known = |path: &[u8]| -> Option<std::sync::Arc<str>> {
            match path {
                b"held.yaml" => Some(held.into()),
                b"other.yaml" => Some("kind: NotTheBlob\n".into()),
                _ => None,
            }
        };
        let dest = tempfile::tempdir().expect("tmp");
        write_tree(repo.path(), &commit, dest.path(), &known).expect("written");
        let read = |rel: &str| std::fs::read_to_string(dest.path().join(rel)).expect("read");
        assert_eq!(read("held.yaml"), held);
        assert_eq!(read("other.yaml"), other);
    }

    // A crafted tree that lists one path twice (git's fsck refuses it; `hash-object
    // --literally` writes it and `ls-tree` lists it) is written one group at a time, as before
    // the blobs were written on every core: the second copy of the path is the error, named the
    // same on every run, and nothing after it is written. (With the groups written in parallel,
    // the two groups raced for `z.yaml`, the error named `a.yaml` when the first lost, and
    // `zz.yaml`, after the error, was written: the last assertion failed on every run.)
    #[test]
    fn a_tree_that_lists_a_path_twice_fails_the_same_on_every_run() {
        let repo = tempfile::tempdir().expect("tmp");
        run_git(repo.path(), &["init", "--quiet"]);
        let texts = ["kind: One\n", "kind: Two\n", "kind: Last\n"];
        let blob = |text: &str| -> Vec<u8> {
            let file = repo.path().join("blob");
            std::fs::write(&file, text).expect("write");
            let name = git(repo.path(), &["hash-object", "-w", "blob"]).expect("blob");
            (0..name.len() / 2)
                .map(|i| u8::from_str_radix(&name[2 * i..2 * i + 2], 16).expect("hex"))
                .collect()
        };
        let (one, two, last) = (blob(texts[0]), blob(texts[1]), blob(texts[2]));
        let mut tree = Vec::new();
        for (name, object) in [
            ("a.yaml", &one),
            ("z.yaml", &one),
            ("z.yaml", &two),
            ("zz.yaml", &last),
        ] {
            tree.extend_from_slice(format!("100644 {name}\0").as_bytes());
            tree.extend_from_slice(object);
        }
        std::fs::write(repo.path().join("tree"), &tree).expect("write");
        let tree = git(
            repo.path(),
            &["hash-object", "-t", "tree", "-w", "--literally", "tree"],
        )
        .expect("tree");
        let commit = git(
            repo.path(),
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "commit-tree",
                &tree,
                "-m",
                "crafted",
            ],
        )
        .expect("commit");
        // Every blob's bytes at hand: every group is written without git.
        let known = |path: &[u8]| -> Option<std::sync::Arc<str>> {
            match path {
                b"a.yaml" => Some(texts[0].into()),
                b"z.yaml" => Some(texts[1].into()),
                b"zz.yaml" => Some(texts[2].into()),
                _ => None,
            }
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("pool");
        for _ in 0..20 {
            let dest = tempfile::tempdir().expect("tmp");
            let error = pool
                .install(|| write_tree(repo.path(), &commit, dest.path(), &known))
                .expect_err("a path listed twice");
            assert!(
                error
                    .to_string()
                    .contains("cannot write `z.yaml` of the revision"),
                "{error}"
            );
            assert!(!dest.path().join("zz.yaml").exists());
        }
    }

    // The copies of one blob are written once and hard-linked (performance, issue 12: a
    // repository of similar Applications holds most of its files twice or more); a copy with
    // another mode cannot share the first's inode and is a file of its own. Every path holds the
    // blob's bytes. (Before, each copy was a new file: the first assertion failed.)
    #[test]
    fn copies_of_a_blob_are_hard_links_when_their_mode_is_the_same() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let repo = tempfile::tempdir().expect("tmp");
        let text = "kind: ConfigMap\n";
        for rel in ["a.yaml", "dir/b.yaml", "run.sh"] {
            let path = repo.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        let script = repo.path().join("run.sh");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        run_git(repo.path(), &["init", "--quiet"]);
        run_git(repo.path(), &["add", "--all"]);
        run_git(
            repo.path(),
            &["commit", "--quiet", "--message", "one blob, three paths"],
        );
        let commit = git(repo.path(), &["rev-parse", "HEAD"]).expect("commit");
        let dest = tempfile::tempdir().expect("tmp");
        write_tree(repo.path(), &commit, dest.path(), &|_| None).expect("written");
        let meta = |rel: &str| std::fs::symlink_metadata(dest.path().join(rel)).expect("written");
        assert_eq!(meta("a.yaml").ino(), meta("dir/b.yaml").ino());
        assert_eq!(meta("a.yaml").nlink(), 2);
        assert_ne!(meta("run.sh").ino(), meta("a.yaml").ino());
        assert_eq!(meta("run.sh").mode() & 0o777, 0o755);
        assert_eq!(meta("a.yaml").mode() & 0o777, 0o644);
        for rel in ["a.yaml", "dir/b.yaml", "run.sh"] {
            assert_eq!(
                std::fs::read_to_string(dest.path().join(rel)).expect("read"),
                text
            );
        }
    }
}
