"""Working days: weekends, statutory holidays and make-up days (调休), and the admin table on top."""
