"""The township's audit log: every change to township data, who made it, when, before and after."""
