"""Articles: parsing uploaded files, and the versions stored for them."""
