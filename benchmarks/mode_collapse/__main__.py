from benchmarks.mode_collapse.suite import main

raise SystemExit(main())
