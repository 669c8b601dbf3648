//! A view's records as rows and columns, laid out for where they go: a table that fits the
//! width it is given, CSV, JSON or JSON Lines.
//!
//! A view (log, diff, map, inventory) says once what its columns are: how each may be shortened
//! (never, in the middle like an id, a hash or a path, or at the end like prose), which to leave
//! out first when the width is short, and which a filter already fixes. The layout then never
//! wraps a cell and never breaks a token: a value too long for its column is shortened with `…`
//! where it loses least, and columns that still do not fit are left out, with a line saying
//! which and how to see them. CSV and JSON carry every column and every value whole.
//!
//! In: columns, rows of (text, style), and a [`Look`]. Out: text.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};

/// How a column's values may be shortened to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Never (counts, verdicts, short vocabularies).
    Keep,
    /// In the middle, keeping both ends (ids, hashes, resources, paths, times).
    Middle,
    /// At the end (prose: details, claims).
    End,
    /// An RFC 3339 time: the fraction of a second goes first, then the year, then the date,
    /// so what is left is still a time.
    Time,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub fit: Fit,
    /// 0: always shown; otherwise columns are left out from the highest number down when even
    /// shortened they do not fit.
    pub drop: u8,
    /// Numbers align right.
    pub right: bool,
    /// A table shows the value only where it changes (rows come sorted by it).
    pub group: bool,
}

impl Col {
    pub const fn new(name: &'static str, fit: Fit, drop: u8) -> Col {
        Col {
            name,
            fit,
            drop,
            right: false,
            group: false,
        }
    }

    /// The same column, its value shown only where it changes.
    pub const fn grouped(self) -> Col {
        Col { group: true, ..self }
    }

    pub const fn num(name: &'static str) -> Col {
        Col {
            name,
            fit: Fit::Keep,
            drop: 0,
            right: true,
            group: false,
        }
    }
}

/// What a value means at a glance, for colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Plain,
    /// A control that failed, a critical finding, INVALID.
    Bad,
    /// A refused attempt, a high or medium finding.
    Warn,
    Good,
}

/// Where the text goes: its width, and whether it may carry colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub width: usize,
    pub color: bool,
}

/// Rows under columns.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub cols: Vec<Col>,
    pub rows: Vec<Vec<(String, Style)>>,
    /// Columns a filter fixes (the agent under --agent): left out of tables, kept in CSV.
    pub fixed: Vec<&'static str>,
    /// When the table would leave a column out or shorten one that is always shown, print
    /// each row as a block of `column value` lines instead (few rows of long values: findings).
    pub stack_when_narrow: bool,
}

/// The smallest a shortened column gets before columns are left out instead.
fn min_width(c: &Col, natural: usize) -> usize {
    match c.fit {
        Fit::Keep => natural,
        Fit::Middle => natural.min(10.max(width_of(c.name))),
        Fit::End => natural.min(12.max(width_of(c.name))),
        Fit::Time => natural.min(15.max(width_of(c.name))),
    }
}

/// Characters a table of `widths` takes: `│ a ┆ b │`.
fn table_width(widths: &[usize]) -> usize {
    1 + widths.iter().map(|w| w + 3).sum::<usize>()
}

/// Columns `s` takes on a terminal: wide (CJK, emoji) characters take two, combining marks none.
pub fn width_of(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The longest prefix (or, `from_end`, suffix) of `s` that takes at most `budget` columns.
fn within(s: &str, budget: usize, from_end: bool) -> String {
    let mut used = 0;
    let fits = |c: &char| {
        used += unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
        used <= budget
    };
    if from_end {
        let mut kept: Vec<char> = s.chars().rev().take_while(fits).collect();
        kept.reverse();
        kept.into_iter().collect()
    } else {
        s.chars().take_while(fits).collect()
    }
}

/// `s` in at most `width` terminal columns, shortened as `fit` says.
pub fn shorten(s: &str, width: usize, fit: Fit) -> String {
    if width_of(s) <= width || fit == Fit::Keep || width == 0 {
        return s.to_string();
    }
    let keep = width - 1;
    match fit {
        Fit::Time => {
            // 2026-12-05T14:24:05.561600Z → 2026-12-05T14:24:05Z → 12-05T14:24:05Z → 14:24:05Z
            let whole = match (s.find('.'), s.rfind(['Z', '+', '-'])) {
                (Some(dot), Some(zone)) if zone > dot => format!("{}{}", &s[..dot], &s[zone..]),
                _ => s.to_string(),
            };
            let no_year = whole.get(5..).filter(|_| whole.as_bytes().get(4) == Some(&b'-'));
            let no_date = whole.find('T').map(|t| &whole[t + 1..]);
            [Some(whole.as_str()), no_year, no_date]
                .into_iter()
                .flatten()
                .find(|c| width_of(c) <= width)
                .map_or_else(|| shorten(s, width, Fit::Middle), str::to_string)
        }
        Fit::End => within(s, keep, false) + "…",
        _ => {
            let head = keep.div_ceil(2);
            let front = within(s, head, false);
            let back = within(s, keep - width_of(&front), true);
            format!("{front}…{back}")
        }
    }
}

impl Grid {
    pub fn new(cols: &[Col]) -> Grid {
        Grid {
            cols: cols.to_vec(),
            ..Grid::default()
        }
    }

    pub fn row(&mut self, cells: Vec<(String, Style)>) {
        self.rows.push(cells);
    }

    /// When every row holds the same value in column `name` (a filter asked for it), leaves
    /// the column out of tables and returns the value, to be said once.
    pub fn fix_if_uniform(&mut self, name: &'static str) -> Option<String> {
        let i = self.cols.iter().position(|c| c.name == name)?;
        let first = self.rows.first()?.get(i)?.0.clone();
        let uniform = self.rows.iter().all(|r| r.get(i).is_some_and(|c| c.0 == first));
        (uniform && !first.is_empty()).then(|| {
            self.fixed.push(name);
            first
        })
    }

    /// The table, fitted to `look.width`, and a line naming any column left out.
    pub fn table(&self, look: &Look) -> String {
        let mut shown: Vec<usize> = (0..self.cols.len())
            .filter(|&i| !self.fixed.contains(&self.cols[i].name))
            .collect();
        let natural: Vec<usize> = (0..self.cols.len())
            .map(|i| {
                let cells = self.rows.iter().map(|r| r.get(i).map_or(0, |c| width_of(&c.0)));
                let widest = cells.max().unwrap_or(0).max(width_of(self.cols[i].name));
                // A table shows times to the second (2026-12-05T14:24:10Z); CSV keeps the rest.
                if self.cols[i].fit == Fit::Time {
                    widest.min(20)
                } else {
                    widest
                }
            })
            .collect();
        let mut left_out = Vec::new();
        // Leave out columns, the most dispensable first, until the shortened rest fits.
        loop {
            let mins: Vec<usize> = shown.iter().map(|&i| min_width(&self.cols[i], natural[i])).collect();
            if table_width(&mins) <= look.width {
                break;
            }
            let Some(pos) = shown
                .iter()
                .enumerate()
                .filter(|(_, i)| self.cols[**i].drop > 0)
                .max_by_key(|(p, i)| (self.cols[**i].drop, *p))
                .map(|(p, _)| p)
            else {
                break;
            };
            left_out.push(self.cols[shown[pos]].name);
            shown.remove(pos);
        }
        // Then leave out more of them while an essential column would be cut hard (below
        // 30 characters or half of it): an optional column gone beats a resource mangled.
        loop {
            let widths = self.widths(&shown, &natural, look.width);
            let hard = shown
                .iter()
                .zip(&widths)
                .any(|(&i, &w)| self.cols[i].drop == 0 && w < natural[i] && w < 30.max(natural[i] / 2));
            let next = shown
                .iter()
                .enumerate()
                .filter(|(_, i)| self.cols[**i].drop > 0)
                .max_by_key(|(p, i)| (self.cols[**i].drop, *p))
                .map(|(p, _)| p);
            match next {
                Some(pos) if hard => {
                    left_out.push(self.cols[shown[pos]].name);
                    shown.remove(pos);
                }
                _ => break,
            }
        }
        let widths = self.widths(&shown, &natural, look.width);
        let squeezed = shown
            .iter()
            .zip(&widths)
            .any(|(&i, &w)| self.cols[i].drop == 0 && w < natural[i]);
        // Stacked when the view prefers it to squeezing, and whenever even the fewest columns,
        // each shortened, would be wider than the screen.
        let too_wide = table_width(&widths) > look.width;
        if too_wide || (self.stack_when_narrow && (squeezed || !left_out.is_empty())) {
            return self.stacked(look);
        }
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        if look.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t.set_header(shown.iter().map(|&i| self.cols[i].name).collect::<Vec<_>>());
        for (n, r) in self.rows.iter().enumerate() {
            let cells = shown.iter().zip(&widths).map(|(&i, &w)| {
                let (mut text, style) = r.get(i).cloned().unwrap_or_default();
                let c = &self.cols[i];
                let before = n.checked_sub(1).and_then(|p| self.rows[p].get(i));
                if c.group && before.is_some_and(|b| b.0 == text) {
                    text.clear();
                }
                let mut cell = Cell::new(shorten(&text, w, c.fit));
                if c.right {
                    cell = cell.set_alignment(CellAlignment::Right);
                }
                match style {
                    Style::Plain => cell,
                    Style::Bad => cell.fg(Color::Red),
                    Style::Warn => cell.fg(Color::Yellow),
                    Style::Good => cell.fg(Color::Green),
                }
            });
            t.add_row(cells.collect::<Vec<_>>());
        }
        let mut out = t.to_string();
        if !left_out.is_empty() {
            let note = format!(
                "(left out to fit {} columns: {}; --width N or --format csv shows every column)",
                look.width,
                left_out.join(", ")
            );
            out.push('\n');
            out.push_str(&super::wrap(&note, look.width));
        }
        out
    }

    /// Each row as a block: a rule with its number, then `column  value` for every column with
    /// a value, values shortened to the width as their column says.
    fn stacked(&self, look: &Look) -> String {
        let shown: Vec<usize> = (0..self.cols.len())
            .filter(|&i| !self.fixed.contains(&self.cols[i].name))
            .collect();
        let label = shown.iter().map(|&i| width_of(self.cols[i].name)).max().unwrap_or(0);
        let room = look.width.saturating_sub(label + 2).max(8);
        let mut out = String::new();
        for (n, r) in self.rows.iter().enumerate() {
            let head = format!("── {} ", n + 1);
            out.push_str(&head);
            out.push_str(&"─".repeat(look.width.saturating_sub(head.chars().count())));
            out.push('\n');
            for &i in &shown {
                let (text, style) = r.get(i).cloned().unwrap_or_default();
                if text.is_empty() {
                    continue;
                }
                let value = shorten(&text, room, self.cols[i].fit);
                let value = match (look.color, style) {
                    (true, Style::Bad) => format!("\u{1b}[31m{value}\u{1b}[39m"),
                    (true, Style::Warn) => format!("\u{1b}[33m{value}\u{1b}[39m"),
                    (true, Style::Good) => format!("\u{1b}[32m{value}\u{1b}[39m"),
                    _ => value,
                };
                out.push_str(&format!("{:<label$}  {value}\n", self.cols[i].name));
            }
        }
        out.pop();
        out
    }

    /// Column widths for `shown`: natural when they fit; else every shortenable column is cut
    /// at one common level (never below its minimum), the highest level that fits, so short
    /// values stay whole and only the longest ones are shortened.
    fn widths(&self, shown: &[usize], natural: &[usize], width: usize) -> Vec<usize> {
        let nat: Vec<usize> = shown.iter().map(|&i| natural[i]).collect();
        if table_width(&nat) <= width {
            return nat;
        }
        let mins: Vec<usize> = shown.iter().map(|&i| min_width(&self.cols[i], natural[i])).collect();
        let at = |level: usize| -> Vec<usize> { nat.iter().zip(&mins).map(|(&n, &m)| n.min(level).max(m)).collect() };
        let (mut lo, mut hi) = (0, nat.iter().copied().max().unwrap_or(0));
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if table_width(&at(mid)) <= width {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let mut out = at(lo);
        // What the level leaves: one more character to each column still cut, left to right.
        let mut left = width.saturating_sub(table_width(&out));
        for (w, n) in out.iter_mut().zip(&nat) {
            if left > 0 && *w < *n {
                *w += 1;
                left -= 1;
            }
        }
        out
    }

    /// RFC 4180 CSV: a header and every row, every column whole.
    pub fn csv(&self) -> String {
        let field = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = self.cols.iter().map(|c| field(c.name)).collect::<Vec<_>>().join(",");
        out.push_str("\r\n");
        for r in &self.rows {
            let line: Vec<String> = (0..self.cols.len())
                .map(|i| field(r.get(i).map_or("", |c| c.0.as_str())))
                .collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let mut g = Grid::new(&[
            Col::num("seq"),
            Col::new("agent", Fit::Middle, 0),
            Col::new("resource", Fit::Middle, 0),
            Col::new("detail", Fit::End, 2),
            Col::new("hash", Fit::Middle, 1),
        ]);
        for i in 0..3 {
            g.row(vec![
                (i.to_string(), Style::Plain),
                ("reporting-assistant@q8n5".into(), Style::Plain),
                ("prod-postgres/reporting/finance.invoices".into(), Style::Bad),
                (
                    "evidence=db_events:3f2a9c claim=readOnlyHint=true tool=run_query".into(),
                    Style::Plain,
                ),
                ("0445af97d8e0a4bb5f3c1d2e".into(), Style::Plain),
            ]);
        }
        g
    }

    #[test]
    fn tables_fit_their_width_without_breaking_a_token() {
        for width in [45, 50, 60, 80, 100, 120, 200] {
            let t = grid().table(&Look { width, color: false });
            for line in t.lines() {
                assert!(width_of(line) <= width, "{width}: {line}");
            }
            // One line per row: no cell wrapped.
            assert_eq!(t.lines().filter(|l| l.starts_with('│')).count(), 4, "{width}:\n{t}");
        }
        // Optional columns go before an essential one is cut hard.
        let narrow = grid()
            .table(&Look {
                width: 110,
                color: false,
            })
            .replace('\n', " ");
        assert!(narrow.contains("left out to fit 110 columns: detail;"), "{narrow}");
        let narrower = grid()
            .table(&Look {
                width: 90,
                color: false,
            })
            .replace('\n', " ");
        assert!(
            narrower.contains("left out to fit 90 columns: detail, hash;"),
            "{narrower}"
        );
        assert!(
            narrower.contains("prod-postgres/reporting/finance.invoices"),
            "kept whole: {narrower}"
        );
        let wide = grid().table(&Look {
            width: 200,
            color: false,
        });
        assert!(wide.contains("prod-postgres/reporting/finance.invoices") && !wide.contains('…'));
    }

    #[test]
    fn shortening_keeps_the_ends_that_identify() {
        assert_eq!(shorten("0445af97d8e0a4bb", 9, Fit::Middle), "0445…a4bb");
        assert_eq!(shorten("a long sentence here", 8, Fit::End), "a long …");
        assert_eq!(shorten("DENY", 2, Fit::Keep), "DENY");
        assert_eq!(shorten("short", 10, Fit::Middle), "short");
        let t = "2026-12-05T14:24:05.561600Z";
        assert_eq!(shorten(t, 26, Fit::Time), "2026-12-05T14:24:05Z");
        assert_eq!(shorten(t, 16, Fit::Time), "12-05T14:24:05Z");
        assert_eq!(shorten(t, 12, Fit::Time), "14:24:05Z");
        assert_eq!(shorten("2026-12-05T14:24:05+02:00", 16, Fit::Time), "14:24:05+02:00");
    }

    #[test]
    fn narrow_findings_stack_instead_of_squeezing() {
        let mut g = grid();
        g.stack_when_narrow = true;
        let wide = g.table(&Look {
            width: 200,
            color: false,
        });
        assert!(wide.starts_with('┌'), "wide enough: a table\n{wide}");
        let narrow = g.table(&Look {
            width: 60,
            color: false,
        });
        assert!(narrow.starts_with("── 1 "), "{narrow}");
        assert!(
            narrow.contains("resource  prod-postgres/reporting/finance.invoices"),
            "{narrow}"
        );
        for line in narrow.lines() {
            assert!(line.chars().count() <= 60, "{line}");
        }
    }

    /// Wide characters take two columns: shortened by the columns they take, not their count.
    #[test]
    fn wide_characters_are_measured_in_columns() {
        let cjk = "财务数据库/发票表/二零二六年十二月的全部记录";
        let short = shorten(cjk, 20, Fit::Middle);
        assert!(width_of(&short) <= 20 && short.contains('…'), "{short}");
        let mut g = Grid::new(&[Col::new("resource", Fit::Middle, 0), Col::new("note", Fit::End, 0)]);
        for _ in 0..3 {
            g.row(vec![
                (cjk.repeat(2), Style::Plain),
                ("😀 emoji take two columns each 😀😀".into(), Style::Plain),
            ]);
        }
        for width in [40, 60] {
            for line in g.table(&Look { width, color: false }).lines() {
                assert!(width_of(line) <= width, "{width}: {line}");
            }
        }
    }

    #[test]
    fn csv_quotes_and_keeps_everything() {
        let mut g = Grid::new(&[Col::new("a", Fit::Middle, 0), Col::new("b", Fit::End, 1)]);
        g.row(vec![("x,y".into(), Style::Plain), ("say \"hi\"".into(), Style::Plain)]);
        assert_eq!(g.csv(), "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = grid().table(&Look {
            width: 200,
            color: false,
        });
        let coloured = grid().table(&Look {
            width: 200,
            color: true,
        });
        assert!(!plain.contains('\u{1b}') && coloured.contains('\u{1b}'));
    }
}
