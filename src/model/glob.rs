//! Glob matching as Argo CD applies it to project destinations, source repositories and resource
//! kinds: `*` matches any run of characters (separators included), `?` one character.

pub fn glob_match(pattern: &str, text: &str) -> bool {
    // Bytes, not chars: no allocation on a path that runs for every Application × destination.
    // `?` then matches one byte, which only differs from one character outside ASCII.
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // Iterative matching with backtracking to the last `*`: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*", "anything/at/all"));
        assert!(glob_match("guestbook-*", "guestbook-dev"));
        assert!(!glob_match("guestbook-*", "guestbook"));
        assert!(glob_match("https://*.example.com", "https://a.example.com"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("abc", "abcd"));
        assert!(glob_match("", ""));
    }
}
