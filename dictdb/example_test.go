package dictdb_test

import (
	"bytes"
	"fmt"

	"github.com/dictdb/dictdb-go/dictdb"
)

func Example() {
	db := dictdb.New()
	users, _ := db.CreateTable("users", dictdb.WithSchema(dictdb.Schema{
		"id": dictdb.Int, "name": dictdb.String, "age": dictdb.Int,
	}))
	id, _ := users.Insert(dictdb.Record{"name": "Alice", "age": 30})
	users.Insert(dictdb.Record{"name": "Bob", "age": 25})

	n, _ := users.Update(func(r dictdb.Record) bool { return r["name"] == "Alice" }, dictdb.Record{"age": 31})
	alice, _ := users.Get(id)
	fmt.Println("updated", n, "record; Alice is", alice["age"])

	young := users.Select(func(r dictdb.Record) bool { return r["age"].(int64) < 30 })
	fmt.Println("under 30:", young[0]["name"])

	_, err := users.Insert(dictdb.Record{"name": "Carol"}) // no age
	fmt.Println(err)
	// Output:
	// updated 1 record; Alice is 31
	// under 30: Bob
	// dictdb: table "users": field "age": missing field
}

func ExampleDB_Save() {
	db := dictdb.New()
	t, _ := db.CreateTable("events", dictdb.WithPrimaryKey("event_id"))
	t.Insert(dictdb.Record{"event_id": 1, "type": "click", "x": 1.5})

	var buf bytes.Buffer
	db.Save(&buf, dictdb.FormatJSON)
	fmt.Print(buf.String())

	db2, _ := dictdb.Load(&buf, dictdb.FormatJSON)
	t2, _ := db2.Table("events")
	rec, _ := t2.Get(1)
	fmt.Printf("%T %T\n", rec["event_id"], rec["x"])
	// Output:
	// {"sequence": 2, "tables": {
	// "events": {"primary_key": "event_id", "schema": null, "records": [
	// {"event_id":1,"type":"click","x":1.5}]}}}
	// int64 float64
}

func ExampleDB_Subscribe() {
	db := dictdb.New()
	seq, cancel := db.Subscribe(func(cs dictdb.ChangeSet) {
		for _, c := range cs.Changes {
			fmt.Println(cs.Seq, c.Op, c.Table, c.Key)
		}
	})
	defer cancel()
	fmt.Println("from", seq)
	t, _ := db.CreateTable("users")
	t.Insert(dictdb.Record{"name": "Alice"})
	t.Delete(nil)
	// Output:
	// from 0
	// 1 create_table users <nil>
	// 2 insert users 1
	// 3 delete users 1
}
