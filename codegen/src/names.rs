//! Tidier snake-case names than progenitor's for wire names with acronyms or one-letter words.
//!
//! progenitor snake-cases `segmentIDs` as `segment_i_ds` and `oAuthEndpointID` as
//! `o_auth_endpoint_id`: a one-letter word is left on its own. [`tidy_names`] glues such words
//! to the word after them (`segment_ids`, `oauth_endpoint_id`) wherever the generated code
//! names them: fields, builder methods, parameters and their documentation. The wire names stay
//! in the string literals progenitor writes for them (`#[serde(rename = "segmentIDs")]`, query
//! parameter names), which are left alone.

/// `word` with every run of one-letter words glued to the word after it (or, at the end, to
/// each other); `None` when `word` is not a lowercase snake-case name or has no such word.
pub fn tidy_name(word: &str) -> Option<String> {
    let snake = !word.starts_with('_')
        && word.contains('_')
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake {
        return None;
    }
    let one_letter = |part: &str| part.len() == 1 && part.chars().all(|c| c.is_ascii_lowercase());
    let parts: Vec<&str> = word.split('_').collect();
    if !parts[..parts.len() - 1].iter().any(|p| one_letter(p)) {
        return None;
    }
    let mut words: Vec<String> = Vec::new();
    let mut glued = String::new();
    for part in parts {
        glued.push_str(part);
        if !one_letter(part) {
            words.push(std::mem::take(&mut glued));
        }
    }
    if !glued.is_empty() {
        words.push(glued);
    }
    Some(words.join("_"))
}

/// `code` with every name [`tidy_name`] changes renamed, except inside string literals that
/// hold exactly that name (the wire names of serde renames and query parameters).
pub fn tidy_names(code: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(start) = rest.find(is_word) {
        let (before, from_word) = rest.split_at(start);
        out.push_str(before);
        let end = from_word.find(|c| !is_word(c)).unwrap_or(from_word.len());
        let (word, after) = from_word.split_at(end);
        let literal = before.ends_with('"') && after.starts_with('"');
        match tidy_name(word) {
            Some(tidy) if !literal => out.push_str(&tidy),
            _ => out.push_str(word),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_letter_words_join_the_next_word() {
        assert_eq!(tidy_name("segment_i_ds").as_deref(), Some("segment_ids"));
        assert_eq!(
            tidy_name("o_auth_endpoint_id").as_deref(),
            Some("oauth_endpoint_id")
        );
        assert_eq!(
            tidy_name("o_auth_connection_id").as_deref(),
            Some("oauth_connection_id")
        );
        assert_eq!(tidy_name("u_r_l").as_deref(), Some("url"));
        assert_eq!(tidy_name("get_x_y_value").as_deref(), Some("get_xyvalue"));
    }

    #[test]
    fn other_names_are_left_as_they_are() {
        for word in [
            "segment_ids",
            "oauth_status",
            "integration_connection_id",
            "_id",
            "cross_id",
            "OAuthConnection",
            "segmentIDs",
            "page_x",
            "x",
            "r",
        ] {
            assert_eq!(tidy_name(word), None, "{word}");
        }
    }

    #[test]
    fn code_is_renamed_but_wire_names_in_literals_stay() {
        let code = r#"
    /// - `segment_i_ds`: Only these segments.
    pub struct Delivery {
        #[serde(rename = "oAuthEndpointID")]
        pub o_auth_endpoint_id: String,
        #[serde(rename = "o_auth_kept")]
        pub kept: String,
    }
    fn send(segment_i_ds: Vec<String>) {
        query(QueryParam::new("segmentIDs", &segment_i_ds));
        err("no value supplied for o_auth_endpoint_id");
    }
"#;
        let expected = r#"
    /// - `segment_ids`: Only these segments.
    pub struct Delivery {
        #[serde(rename = "oAuthEndpointID")]
        pub oauth_endpoint_id: String,
        #[serde(rename = "o_auth_kept")]
        pub kept: String,
    }
    fn send(segment_ids: Vec<String>) {
        query(QueryParam::new("segmentIDs", &segment_ids));
        err("no value supplied for oauth_endpoint_id");
    }
"#;
        assert_eq!(tidy_names(code), expected);
    }

    #[test]
    fn text_without_such_names_is_unchanged() {
        let code = "fn list(after: &str, limit: u32) -> Result<(), String> { /* ü ok */ }\n";
        assert_eq!(tidy_names(code), code);
    }
}
