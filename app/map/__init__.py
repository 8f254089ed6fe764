"""民情地图: each village's own drawn map with its households pinned on it, and its hand-over."""
