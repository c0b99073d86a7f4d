//! Text laid out for the PDFs the service writes (receipts, the citizen's export, the
//! travel authorisation): words wrapped into lines of at most `width` characters.

/// `text`'s words in lines of at most `width` characters (a longer word has a line of its
/// own); white space between words becomes one space.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` line by line, each line's words wrapped by [`wrap`]; a line break of `text` is
/// kept, and an empty line stays one empty line (a letter's paragraphs).
pub fn wrap_lines(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for line in text.lines() {
        let wrapped = wrap(line, width);
        if wrapped.is_empty() {
            lines.push(String::new());
        } else {
            lines.extend(wrapped);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_are_wrapped_and_long_ones_kept_whole() {
        assert_eq!(super::wrap("a bb  ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(super::wrap("abcdefgh ij", 4), ["abcdefgh", "ij"]);
        assert!(super::wrap("   ", 4).is_empty());
    }

    #[test]
    fn line_breaks_and_empty_lines_are_kept() {
        assert_eq!(
            super::wrap_lines("a bb ccc\n\ndddd  e", 6),
            ["a bb", "ccc", "", "dddd e"]
        );
    }
}
