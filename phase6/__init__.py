"""phase6: publishes the NBA prediction warehouse as a static JSON API."""
