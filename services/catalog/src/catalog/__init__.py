"""fitshop's catalog: products sellers register, their events, and stock that follows orders."""
