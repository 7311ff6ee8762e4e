//! Every seed (`seeds/<target>/`) and every input that once found a bug (`regressions/<target>/`)
//! through its target's checks: CI runs the properties on stable, without libFuzzer.

use std::path::Path;

#[test]
fn seeds_and_regressions_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for (target, check) in gerbang_fuzz::TARGETS {
        let mut inputs = 0;
        for folder in ["seeds", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(folder).join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("a folder entry").path();
                let data = std::fs::read(&path).expect("an input");
                eprintln!("{}", path.display());
                check(&data);
                inputs += 1;
            }
        }
        assert!(inputs > 0, "no seeds for {target}");
        replayed += inputs;
    }
    eprintln!("{replayed} inputs replayed");
}
