mod common;
use common::reference::Reference;
use logloss_proofs::measures::{cross_entropy, entropy, kl_divergence, normalize};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_dist(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
    normalize(&w).unwrap()
}

#[test]
fn probe() {
    let mut r = Reference::new();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (mut wh, mut wc, mut wk, mut wn) = (0f64, 0f64, 0f64, 0f64);
    for case in 0..400 {
        let n = [2, 3, 5, 10, 100][case % 5];
        let p = random_dist(&mut rng, n);
        let q = random_dist(&mut rng, n);
        let h = entropy(&p).unwrap();
        let rh = r.entropy(&p);
        wh = wh.max(r.ulp_error(h, &rh));
        let c = cross_entropy(&p, &q).unwrap();
        let rc = r.cross_entropy(&p, &q);
        wc = wc.max(r.ulp_error(c, &rc));
        let k = kl_divergence(&p, &q).unwrap();
        let rk = r.kl(&p, &q);
        wk = wk.max(r.ulp_error(k, &rk));
        let qn: Vec<f64> = p
            .iter()
            .map(|&x| x * (1.0 + 1e-6 * (rng.random::<f64>() - 0.5)))
            .collect();
        let qn = normalize(&qn).unwrap();
        let k = kl_divergence(&p, &qn).unwrap();
        let rk = r.kl(&p, &qn);
        wn = wn.max(r.relative_error(k, &rk));
    }
    println!("H {wh} CE {wc} KL {wk} near-rel {wn}");
}
