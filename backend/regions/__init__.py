"""Administrative regions (GB/T 2260) and the scope rule every domain uses."""
