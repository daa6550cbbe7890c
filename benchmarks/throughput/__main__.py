from benchmarks.throughput.suite import main

raise SystemExit(main())
