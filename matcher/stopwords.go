package matcher

// isStopword reports whether a normalised word is among the most common
// words of English or Russian news text. The presearcher avoids indexing a
// rule under one, since nearly every article contains it. It is a switch
// rather than a map so it needs no package state.
func isStopword(w string) bool {
	switch w {
	case "the", "of", "and", "to", "in", "a", "that", "for", "on", "with", "as", "was",
		"is", "by", "at", "said", "from", "it", "his", "her", "an", "be", "has", "have",
		"had", "were", "are", "not", "this", "but", "they", "which", "after", "who",
		"their", "will", "been", "would", "its", "or", "he", "she", "we", "you", "i",
		"s", "new", "year", "more", "than", "also", "one", "two", "about", "up", "out",
		"over", "into", "there", "all", "can", "no", "if", "so", "what", "when",
		"и", "в", "не", "на", "что", "с", "по", "как", "это", "он", "к", "из", "за",
		"от", "о", "у", "же", "так", "для", "все", "она", "но", "мы", "года", "после",
		"время", "также", "было", "были", "который", "заявил", "сообщил":
		return true
	}
	return false
}
