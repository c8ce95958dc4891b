//! The training figures' data as CSV, one row per curve and step, with fixed
//! number formats so the files are byte-identical for the same evidence.

use crate::models::training::study::Figure;

/// A number in CSV: 12 significant decimals in scientific notation;
/// `nan`, `inf`, `-inf` for the non-finite.
fn number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x == f64::INFINITY {
        "inf".into()
    } else if x == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{x:.12e}")
    }
}

/// The columns of every training CSV.
pub const HEADER: &str =
    "series,step,rate,train_loss_nats,target_entropy_nats,held_out_nll_nats,held_out_accuracy";

/// A figure's curves as CSV (long format: one line per curve and step).
pub fn training_csv(figure: &Figure) -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    for c in &figure.curves {
        for r in &c.records {
            s.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                c.id,
                r.step,
                number(c.rate),
                number(r.train_loss),
                number(r.target_entropy),
                number(r.held_out_nll),
                number(r.held_out_accuracy)
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_fixed_formats() {
        assert_eq!(number(0.5), "5.000000000000e-1");
        assert_eq!(number(f64::NAN), "nan");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
    }
}
