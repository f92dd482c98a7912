"""Prototype facts of the things a person uses: phone, computer, device, os, car.

Data only, merged into ``vocab_prototypes.PROTOTYPES``. Switches are said many ways ("Ditched
the iPhone for a Pixel", "Went back to Windows"), and the make alone often names the thing.
"""

from __future__ import annotations

__all__ = ["THINGS"]

THINGS: dict[str, tuple[str, ...]] = {
    "phone": (
        "Uses an iPhone", "Switched to a Pixel phone", "Has a Samsung Galaxy",
        "Got a new Android phone", "Phone is an old iPhone 8", "Upgraded to the newest iPhone",
        "Is on a cheap Motorola", "Phone screen is cracked",
        "Ditched the iPhone for a Pixel", "Switched over to Android", "Is team iPhone",
        "Finally upgraded from the iPhone 11", "Went back to an iPhone", "Uses a flip phone",
        "Has a Samsung now", "Dropped the old phone in the toilet and got a new one",
        "Phone is a OnePlus", "Rocks a Galaxy S23", "Moved from Android to iOS",
        "Uses a dumbphone to cut down on screen time", "Bought a refurbished iPhone",
        "Is still on an old Nokia", "Got an iphone 15 pro", "Has a Xiaomi phone",
        "Switched to a pixle", "Caved and went green bubble", "Got the new Galaxy Fold",
        "Is not on Android anymore",
        "Gave up the iPhone",
    ),
    "computer": (
        "Uses a MacBook at the office", "Has a gaming PC", "Bought a new laptop",
        "Has a Dell laptop for work", "Work gave them a new laptop",
        "Edits photos on an old desktop", "Does everything on a ThinkPad",
        "Got an iMac for the studio", "Built their own PC", "Laptop is a Lenovo",
        "Games on a custom built PC", "Bought a MacBook Air", "Got a Chromebook for school",
        "Laptop died so they got a new one", "Uses a Surface for work",
        "Upgraded to an M3 MacBook Pro", "Works on a beat up old laptop",
        "Has a desktop rig with two monitors", "Built a new gaming rig",
        "Replaced the old Dell with an HP", "Codes on a Framework laptop", "Got a new PC",
        "Has an Asus laptop", "Got a new labtop", "Sold the gaming PC",
    ),
    "device": (
        "Reads on a Kindle", "Has an iPad", "Wears a smartwatch", "Plays on a Switch",
        "Got a PlayStation 5", "Has a Fitbit",
        "Got an Apple Watch", "Has a Garmin for running", "Bought a Steam Deck",
        "Plays on an Xbox", "Uses an e-reader", "Got a new iPad for drawing", "Has an Oura ring",
        "Got a Quest headset", "Has an Alexa speaker at home", "Switched from a Kindle to a Kobo",
        "Sold the PS4", "Wears a Whoop band", "Got a drone for their birthday",
    ),
    "os": (
        "Uses Linux", "Runs Windows on their computer", "Switched to macOS",
        "Desktop is on Ubuntu", "Installed Fedora on the laptop", "Is a Windows user",
        "Went back to Windows 11", "Wiped the machine and put Arch on it",
        "Ditched Windows for Linux", "Moved to Ubuntu", "Runs Arch btw", "Is on a Mac now",
        "Switched from Mac to Windows", "Uses Linux Mint", "Put elementary OS on the laptop",
        "Is back on Windows", "Dual boots Windows and Linux", "Upgraded to Windows 11",
        "Uses ChromeOS", "Is a Mac person now", "Gave up on Linux", "Daily drives Fedora",
        "Installed Debian on an old laptop", "Went full penguin", "Left Windows behind for good",
        "Is not on Windows anymore",
    ),
    "car": (
        "Drives a Honda Civic", "Bought a Tesla", "Has a pickup truck", "Sold their car",
        "Gets around in an old Volvo", "Commutes in a hatchback", "Leased an electric car",
        "Traded in the sedan for an SUV", "The Jeep is in the shop again",
        "Has a used Toyota", "Got rid of the car",
        "Drives a beat up Astra", "Got a new car", "Bought a used Subaru", "Sold the hatchback to a neighbour",
        "Drives an EV now", "Gets around on a motorbike", "Upgraded to a minivan",
        "Car got totaled", "Has no car", "Is car free now", "Leases a BMW",
        "Traded the truck for a hybrid", "Drives a hand me down Camry",
        "Just bought a Ford F-150", "Rides a Vespa", "Finally scrapped the old Civic",
        "The new ride is a Kia", "Finally paid off the car", "Drives stick",
        "Doesn't have the truck anymore",
        "Ben sold his Audi",
    ),
}
