from benchmarks.health.suite import main

raise SystemExit(main())
