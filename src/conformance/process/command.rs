//! Splitting a command line into words, without a shell.

use super::ProtocolError;

/// Splits a command into words as a shell does for quoting only: words
/// separated by whitespace, `'…'` taken literally, `"…"` with `\"` and `\\`
/// escapes, a backslash outside quotes escaping the next character. No
/// variables, globs, pipes or redirections: the program is run directly (so
/// it, and not a shell around it, is what a timeout kills).
///
/// # Errors
/// [`ProtocolError::BadCommand`] for an empty command or an unbalanced quote.
///
/// # Example
/// ```
/// use logloss_proofs::conformance::process::split_command;
/// assert_eq!(
///     split_command(r#"python3 "my losses.py" --mode 'a b'"#).unwrap(),
///     ["python3", "my losses.py", "--mode", "a b"]
/// );
/// assert!(split_command("python3 'x").is_err());
/// ```
pub fn split_command(command: &str) -> Result<Vec<String>, ProtocolError> {
    let bad = |reason| ProtocolError::BadCommand {
        command: command.to_string(),
        reason,
    };
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => w.push(x),
                        None => return Err(bad("a single quote is not closed")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\')) => w.push(x),
                            Some(x) => {
                                w.push('\\');
                                w.push(x);
                            }
                            None => return Err(bad("a double quote is not closed")),
                        },
                        Some(x) => w.push(x),
                        None => return Err(bad("a double quote is not closed")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(x) => word.get_or_insert_with(String::new).push(x),
                None => return Err(bad("it ends in a backslash")),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    if words.is_empty() {
        return Err(bad("it has no words"));
    }
    Ok(words)
}
