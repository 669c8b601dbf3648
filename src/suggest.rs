//! "Did you mean": the known values nearest to one a user typed.
//!
//! A filter that names an agent, session or resource the case does not hold, or a policy
//! attribute that does not exist, is usually a typo. Saying so, with the values that were meant,
//! is the difference between an empty answer and a wrong one.
//!
//! In: what was typed and the values known. Out: the nearest few, nearest first.

/// The known values nearest to `typed` (edit distance, ignoring case), at most `most`: those
/// within a third of the typed length or sharing its start, nearest first, then by name.
pub fn nearest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>, most: usize) -> Vec<String> {
    let want = typed.to_lowercase();
    let stem = want.trim_end_matches(['*', '?']).to_string();
    let mut scored: Vec<(usize, String)> = known
        .into_iter()
        .map(|k| (distance(&want, &k.to_lowercase()), k.to_string()))
        .filter(|(d, k)| {
            *d <= want.chars().count().div_ceil(3).max(2) || (!stem.is_empty() && k.to_lowercase().starts_with(&stem))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(most).map(|(_, k)| k).collect()
}

/// Levenshtein distance over characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `; did you mean A, B?` or `; known: …` (the first few) when none is near, or nothing when
/// nothing is known: the tail of a message about a value that matched nothing.
pub fn hint<'a>(typed: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    let near = nearest(typed, known.clone(), 5);
    if !near.is_empty() {
        return format!("; did you mean {}?", near.join(", "));
    }
    let all: Vec<&str> = known.into_iter().take(8).collect();
    if all.is_empty() {
        String::new()
    } else {
        format!("; known: {}", all.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_what_was_meant() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        let agents = ["reporting-assistant", "billing-bot", "ci-runner"];
        assert_eq!(nearest("reportng-assistant", agents, 5), ["reporting-assistant"]);
        assert_eq!(nearest("billing*", agents, 5), ["billing-bot"]);
        assert!(nearest("zzzzzz", agents, 5).is_empty());
        assert_eq!(hint("acess", ["access", "agent", "resource"]), "; did you mean access?");
        assert_eq!(hint("zzzzzz", ["a", "b"]), "; known: a, b");
        assert_eq!(hint("zzzzzz", []), "");
    }
}
