"""Producer profiles of producer organisations, their mining sites and member roster, and the network's
verification of each producer."""
