from djgate.console import main

raise SystemExit(main())
