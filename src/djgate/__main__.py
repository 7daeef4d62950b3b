from djgate.cli import main

raise SystemExit(main())
