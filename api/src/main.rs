/// The allocator of the service: mimalloc rather than glibc's malloc, whose free lists
/// cost the statistics' largest tabulation (100,000 rows) 60 % of its time
/// (bench/RESULTS.md, issue 22).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
