"""stoppress: news articles in, versioned updates and browser push notifications out."""
