mod precision;
use bplab_burn::BurnBackend;
use bplab_core::DType;
use precision::*;

#[test]
#[ignore = "prints the measured table; run with --ignored --nocapture"]
fn print_op_precision_table() {
    println!("| backend | op | dtype | value max abs | value max rel | value excess | grad max abs | grad max rel | grad excess | worst (value / grad) |");
    for backend in BurnBackend::ALL {
        for op in Op::ALL {
            for dtype in [DType::F32, DType::F64] {
                let (v, g) = measure(backend, op, dtype);
                println!(
                    "| {} | {} | {dtype} | {:.2e} | {:.2e} | {:.2e} | {:.2e} | {:.2e} | {:.2e} | x={} ({:e} vs {:e}) / x={} ({:e} vs {:e}) |",
                    backend.engine_name(), op.name(), v.max_abs, v.max_rel, v.excess, g.max_abs, g.max_rel, g.excess,
                    v.worst.0, v.worst.1, v.worst.2, g.worst.0, g.worst.1, g.worst.2
                );
            }
        }
    }
}
