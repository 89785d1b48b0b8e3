from rete.cli import main

raise SystemExit(main())
