from benchmarks.eval_overhead.suite import main

raise SystemExit(main())
