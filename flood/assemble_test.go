package flood

import (
	"reflect"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

func art(source, title string) model.Article {
	return model.Article{Source: source, Title: title, Link: "https://" + source + ".example/" + title}
}

func TestAssemble(t *testing.T) {
	b := Bucket{ID: 4, Channel: "#a", Key: RuleKey("ukraine-broad"), Opened: at(0), Due: at(time.Hour)}
	held := []Held{
		{BucketID: 4, StoryID: 2, Rules: []string{"ukraine-broad"}, Article: art("bbc", "b1"), Created: at(2 * time.Minute)},
		{BucketID: 4, StoryID: 1, Rules: []string{"ukraine-broad"}, Article: art("reuters", "a1"), Created: at(time.Minute)},
		{BucketID: 9, StoryID: 1, Rules: []string{"other"}, Article: art("tass", "x"), Created: at(time.Minute)},
		{BucketID: 4, StoryID: 1, Rules: []string{"kyiv", "ukraine-broad"}, Article: art("ap", "a2"), Created: at(3 * time.Minute)},
		{BucketID: 4, StoryID: 0, Rules: []string{"ukraine-broad"}, Article: art("meduza", "n1"), Created: at(4 * time.Minute)},
		{BucketID: 4, StoryID: 0, Rules: []string{"ukraine-broad"}, Article: art("meduza", "n2"), Created: at(5 * time.Minute)},
		{BucketID: 4, StoryID: 1, Rules: []string{"ukraine-broad"}, Article: art("guardian", "a3"), Created: at(6 * time.Minute)},
	}
	got := Assemble(b, held)
	want := model.Digest{
		Channel: "#a", Rule: "ukraine-broad", Since: at(0), Until: at(time.Hour), Total: 6,
		Entries: []model.DigestEntry{
			{StoryID: 1, Rules: []string{"ukraine-broad", "kyiv"}, Article: art("reuters", "a1"), Others: []model.Article{art("ap", "a2"), art("guardian", "a3")}},
			{StoryID: 2, Rules: []string{"ukraine-broad"}, Article: art("bbc", "b1")},
			{Rules: []string{"ukraine-broad"}, Article: art("meduza", "n1")},
			{Rules: []string{"ukraine-broad"}, Article: art("meduza", "n2")},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Assemble:\n got %+v\nwant %+v", got, want)
	}
	if held[3].Rules[0] != "kyiv" {
		t.Error("Assemble modified its input")
	}
	flood := Assemble(Bucket{ID: 9, Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}, held)
	if flood.Rule != "" || flood.Articles() != 1 || len(flood.Entries) != 1 {
		t.Errorf("flood digest %+v", flood)
	}
}
