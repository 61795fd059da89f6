package matcher

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/newswatch/newswatch/model"
)

// Benchmark data: deterministic news-like articles and rule sets built
// from a vocabulary of people, places and organisations. Well-known names
// recur in many articles and rules; a long tail of generated names (as in
// a real deployment with many narrow rules) keeps large rule sets distinct.

var (
	benchPeople = strings.Fields(`Putin Trump Zelenskyy Witkoff Ushakov Lavrov Macron Scholz Merz Starmer
		Erdogan Xi Modi Netanyahu Abbas Orban Meloni Sanchez Tusk Duda Stoltenberg Rutte Guterres
		Blinken Rubio Vance Kushner Peskov Shoigu Gerasimov Medvedev Sybiha Yermak Umerov Budanov
		Syrskyi Kallas Borrell Leyen Lagarde Powell Yellen Bessent Musk Altman Nadella Pichai`)
	benchPlaces = strings.Fields(`Moscow Kyiv Kharkiv Donetsk Luhansk Zaporizhzhia Kherson Odesa Crimea
		Pokrovsk Bakhmut Avdiivka Kursk Belgorod Washington Brussels Berlin Paris London Warsaw Ankara
		Istanbul Riyadh Doha Geneva Minsk Tbilisi Beijing Tehran Gaza Jerusalem Damascus Kabul Mariupol
		Sumy Dnipro Lviv Vilnius Riga Tallinn Helsinki Stockholm Budapest Bratislava Bucharest`)
	benchOrgs = strings.Fields(`NATO Kremlin Pentagon UN IAEA OPEC Gazprom Rosneft Naftogaz Ukrenergo
		Wagner Hamas Hezbollah EU IMF WorldBank Reuters Bloomberg SpaceX OpenAI Microsoft Google
		Rosatom Rostec Sberbank VTB Lukoil Transneft Aeroflot Roscosmos`)
	benchCommon = strings.Fields(`the of and to in a that for on with as was is by at said from it his
		an be has have had were are not this but they which after who their will been would its year
		more than also new one two first last over people about government officials minister president
		talks peace plan war forces military attack city region border country state security meeting
		week month day told statement deal agreement support energy prices market oil gas sanctions
		troops drone missile strike defence foreign office leaders summit report according however
		during against between under while since before could should may might there them other some
		into what when where how many most such only time back still well even because through
		visit delegation envoy ceasefire negotiations proposal draft document sources spokesman
		morning evening night capital province villages infrastructure power grid ministry economy
		growth inflation bank rate budget parliament vote election campaign opposition party coalition`)

	benchRuPeople = strings.Fields(`Путин Трамп Зеленский Уиткофф Ушаков Лавров Макрон Песков Шойгу Герасимов
		Медведев Сибига Ермак Умеров Буданов Сырский Мишустин Набиуллина Силуанов Беглов Собянин`)
	benchRuPlaces = strings.Fields(`Москва Киев Харьков Донецк Луганск Запорожье Херсон Одесса Крым Покровск
		Бахмут Авдеевка Курск Белгород Вашингтон Брюссель Берлин Париж Лондон Варшава Анкара Минск`)
	benchRuCommon = strings.Fields(`и в не на что с по как это он к из за от о у же так для все она но мы
		года после время также было были который который президент переговоры мирный план война
		силы армия удар город область граница страна безопасность встреча неделя сделка соглашение
		поддержка энергия цены рынок нефть газ санкции войска беспилотник ракета оборона министр
		заявил сообщил источник правительство делегация визит прекращение огня предложение проект`)
)

// tailSyllables build the long tail of generated names (Kovarenko-like).
var tailSyllables = strings.Fields(`ko va len mar chet ti bro dov ska ri nen ber gu sta fa lo mi zor
	kan tel vin do ra sev pol ner ga bi tor ash lin que mon ter pe dra ul cha vo ze`)

func tailName(r *rand.Rand) string {
	n := 3 + r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(tailSyllables[r.IntN(len(tailSyllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// benchVocab is the entity vocabulary of one language set.
type benchVocab struct {
	hot, tail, common []string
}

func englishVocab() *benchVocab { return englishVocabSeed(1) }

// englishVocabSeed varies only the long tail: rules from one seed and
// articles from another share the well-known names but few surnames.
func englishVocabSeed(seed uint64) *benchVocab {
	r := rand.New(rand.NewPCG(seed, seed))
	v := &benchVocab{common: benchCommon}
	v.hot = append(append(append(v.hot, benchPeople...), benchPlaces...), benchOrgs...)
	for range 100000 {
		v.tail = append(v.tail, tailName(r))
	}
	return v
}

func russianVocab() *benchVocab {
	r := rand.New(rand.NewPCG(2, 2))
	v := &benchVocab{common: benchRuCommon}
	v.hot = append(append(v.hot, benchRuPeople...), benchRuPlaces...)
	tr := map[rune]string{'a': "а", 'b': "б", 'c': "ц", 'd': "д", 'e': "е", 'f': "ф", 'g': "г", 'h': "х", 'i': "и", 'k': "к", 'l': "л", 'm': "м", 'n': "н", 'o': "о", 'p': "п", 'q': "к", 'r': "р", 's': "с", 't': "т", 'u': "у", 'v': "в", 'z': "з"}
	for range 100000 {
		var b strings.Builder
		for _, c := range strings.ToLower(tailName(r)) {
			b.WriteString(tr[c])
		}
		name := []rune(b.String())
		v.tail = append(v.tail, strings.ToUpper(string(name[:1]))+string(name[1:]))
	}
	return v
}

// article writes about size bytes of news-like text: common words with
// entity names at realistic density, sentence punctuation, possessives and
// hyphenated compounds.
func (v *benchVocab) article(r *rand.Rand, size int) *model.Article {
	var b strings.Builder
	start := true
	for b.Len() < size {
		var w string
		switch x := r.IntN(100); {
		case x < 4:
			w = v.hot[r.IntN(len(v.hot))]
		case x < 6:
			w = v.tail[r.IntN(len(v.tail))]
		default:
			w = v.common[r.IntN(len(v.common))]
		}
		if start {
			w = capitalize(w)
		}
		b.WriteString(w)
		start = false
		switch x := r.IntN(100); {
		case x < 6:
			b.WriteString(". ")
			start = true
		case x < 10:
			b.WriteString(", ")
		case x < 11:
			b.WriteString("'s ")
		case x < 12:
			b.WriteString("-")
		default:
			b.WriteString(" ")
		}
	}
	return &model.Article{
		Source: "wire",
		Link:   "https://news.example.com/world/" + fmt.Sprint(r.Uint32()),
		Title:  v.hot[r.IntN(len(v.hot))] + " and " + v.tail[r.IntN(len(v.tail))] + " hold talks on " + v.common[r.IntN(len(v.common))],
		Body:   b.String(),
	}
}

// rules generates n distinct-looking rules: words, phrases, prefixes,
// boolean combinations and NEAR, mostly about long-tail names (narrow
// rules) combined with well-known ones.
func (v *benchVocab) rules(n int) []Rule {
	r := rand.New(rand.NewPCG(3, uint64(n)))
	hot := func() string { return v.hot[r.IntN(len(v.hot))] }
	tail := func() string { return v.tail[r.IntN(len(v.tail))] }
	rules := make([]Rule, n)
	for i := range rules {
		var q string
		switch x := r.IntN(100); {
		case x < 25:
			q = tail()
		case x < 35:
			q = `"` + tail() + " " + tail() + `"`
		case x < 45:
			t := []rune(tail())
			q = string(t[:len(t)-1]) + "*"
		case x < 60:
			q = fmt.Sprintf("%s AND (%s OR %s)", tail(), hot(), hot())
		case x < 70:
			q = fmt.Sprintf("%s %s -%s", tail(), hot(), hot())
		case x < 85:
			q = fmt.Sprintf("%s NEAR/%d (%s OR %s)", tail(), 3+r.IntN(8), hot(), tail())
		case x < 92:
			q = fmt.Sprintf(`title:%s OR "%s %s"`, tail(), hot(), tail())
		default:
			q = fmt.Sprintf("(%s OR %s) AND source:wire", tail(), tail())
		}
		if i < 5 { // a few broad rules, as every deployment has
			q = []string{"Putin", "Kremlin OR Путин", "Zelensk*", `"peace plan" NEAR/10 Ukraine`, "Donetsk OR Донецк"}[i]
		}
		rules[i] = Rule{Name: fmt.Sprint("rule-", i), Query: q}
	}
	return rules
}

func (v *benchVocab) articles(n, size int) []*model.Article {
	r := rand.New(rand.NewPCG(4, 4))
	out := make([]*model.Article, n)
	for i := range out {
		out[i] = v.article(r, size)
	}
	return out
}

func capitalize(w string) string {
	r := []rune(w)
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}
