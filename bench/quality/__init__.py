"""Quality benchmark: modq beside bogofilter and a TF-IDF baseline on fixed protocols."""
